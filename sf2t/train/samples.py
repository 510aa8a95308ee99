"""Encoded training samples kept for the whole run, so a record drawn again is neither decoded
nor run through the processor again.

A run draws each record several times (300 fine-tuning steps of 8 go over 640 SF²T samples about
four times; a base stage over its captions two to five times), and encoding one record (frames
picked and transformed, then the family's processor: chat template, tokenizer, video
normalisation and patching) costs 13-30 ms of a 0.26-0.43 s mini step; keeping the samples made a
step 0.92-0.96x as long (`results/perf/train.json`, ``step_profile``). The cache keeps
`VideoLLM.encode_sample`'s output per record content and `VideoLLM.collate` pads it into a batch
each time, which is exactly the batch a fresh encoding gives: the loss, the data order and the
weights are unchanged. A mini base's record takes about 80-100 KB, a 16-frame clip's 150-200 KB.

Records of one clip (caption kinds of one video, a balanced repeat) share their visual tensors
when they are equal, so a base stage's captions fit in about the size of its decoded clips.
Least recently used samples are evicted beyond ``max_bytes``; ``max_bytes=0`` keeps nothing.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

#: Token-aligned keys of a sample: the rest (pixel values, grids, sizes) depend on the clip only.
TEXT_KEYS = frozenset({"input_ids", "attention_mask", "labels", "mm_token_type_ids", "token_type_ids"})


@dataclass
class _Kept:
    sample: dict[str, torch.Tensor]
    num_frames: int
    nbytes: int  # counted for this sample: its own tensors, not a shared clip's
    clip: tuple | None  # the shared visual tensors it uses, if any


class SampleCache:
    """``sample(record, root) -> (sample, num_frames)``, encoding through ``llm`` on a miss with
    frames from ``frames`` (a `sf2t.train.data.FrameCache`)."""

    def __init__(self, llm, frames, max_bytes: int):
        self.llm, self.frames, self.max_bytes = llm, frames, max_bytes
        self._samples: OrderedDict[tuple, _Kept] = OrderedDict()
        self._clips: dict[tuple, dict[str, Any]] = {}  # clip key -> {"tensors", "refs", "nbytes"}
        self._bytes = 0
        self.hits = self.misses = 0

    def sample(self, record: Mapping[str, Any], root: str) -> tuple[dict[str, torch.Tensor], int]:
        from sf2t.common.prompts import record_prompt

        prompt = record_prompt(record)
        numbered = bool(record.get("numbered", False))
        clip = (root, record["video"], json.dumps(record["frames"], sort_keys=True), numbered)
        key = (*clip, prompt, record["answer"])
        kept = self._samples.get(key)
        if kept is not None:
            self._samples.move_to_end(key)
            self.hits += 1
            return kept.sample, kept.num_frames
        self.misses += 1
        frames = self.frames.frames(record, root)
        sample = self.llm.encode_sample(frames, prompt, record["answer"], numbered=numbered)
        if self.max_bytes > 0:
            self._keep(key, clip, sample, len(frames))
        return sample, len(frames)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def _keep(self, key: tuple, clip: tuple, sample: dict[str, torch.Tensor], num_frames: int) -> None:
        visual = {k: v for k, v in sample.items() if k not in TEXT_KEYS}
        own = sum(_size(v) for k, v in sample.items() if k in TEXT_KEYS)
        shared = self._clips.get(clip)
        if shared is not None and _same(shared["tensors"], visual):
            sample = {**sample, **shared["tensors"]}  # the equal tensors kept once
            shared["refs"] += 1
        elif shared is None and visual:
            nbytes = sum(_size(v) for v in visual.values())
            self._clips[clip] = {"tensors": visual, "refs": 1, "nbytes": nbytes}
            self._bytes += nbytes
        else:  # a clip whose visuals differ from the kept ones (none are known to): keep its own
            own += sum(_size(v) for v in visual.values())
            clip = None
        if not visual:
            clip = None
        self._samples[key] = _Kept(sample, num_frames, own, clip)
        self._bytes += own
        while self._bytes > self.max_bytes and self._samples:
            self._evict()

    def _evict(self) -> None:
        _, old = self._samples.popitem(last=False)
        self._bytes -= old.nbytes
        if old.clip is not None:
            shared = self._clips[old.clip]
            shared["refs"] -= 1
            if shared["refs"] == 0:
                del self._clips[old.clip]
                self._bytes -= shared["nbytes"]


def _size(tensor: torch.Tensor) -> int:
    return tensor.numel() * tensor.element_size()


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and torch.equal(a[k], b[k]) for k in a
    )
