"""Training data: load and check record files, plan a seeded mixture, and turn records into
encoded batches.

The mixture is planned up front: for every micro-batch of the run, which record of which source
it holds. The plan is a pure function of (sources, ratios, seed, sizes), so a resumed run only
needs the position it stopped at to replay exactly the batches an uninterrupted run would see.
Within a source, records are drawn without replacement (a seeded permutation per pass).
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sf2t.common.prompts import ANSWER_FORMS
from sf2t.common.records import RecordError, read_jsonl, resolve_under
from sf2t.models import IGNORE_INDEX
from sf2t.train.config import DataSource
from sf2t.train.samples import SampleCache

#: Encoded samples a training process keeps (`SampleCache`), MB: a mini base stage's records fit.
#: Not a `TrainConfig` field: it changes the speed only, never the batches or the weights.
SAMPLE_CACHE_MB = 1024

REQUIRED_FIELDS = ("id", "video", "frames", "question", "answer")


class DataError(ValueError):
    """Training data that cannot be used; the message names the file and the problem."""


@dataclass
class Source:
    """One loaded data source: its spec and its checked records."""

    spec: DataSource
    records: list[dict[str, Any]]

    @property
    def root(self) -> str:
        return self.spec.video_root


# --------------------------------------------------------------------------- loading and checks


def load_sources(specs: Sequence[DataSource], where: str = "data") -> list[Source]:
    """Read every source and check every record before training starts.

    Malformed lines are reported with their line numbers (`sf2t.common.records.read_jsonl`); records
    whose fields have the wrong shape, videos that are missing, unreadable or leave the data
    root, and frame indices beyond a video's end (each video probed once) are all collected and
    raised as one `DataError`.
    """
    problems: list[str] = []
    sources: list[Source] = []
    for i, spec in enumerate(specs):
        path = Path(spec.path)
        if not path.is_file():
            problems.append(f"{where}[{i}]: data file {path} does not exist")
            continue
        try:
            records = read_jsonl(path, required=REQUIRED_FIELDS)
        except RecordError as exc:
            problems.append(str(exc))
            continue
        if not records and spec.ratio > 0:
            problems.append(f"{path}: no records, but its mixture ratio is {spec.ratio}")
        problems += _record_problems(path, records, spec.video_root)
        sources.append(Source(spec, records))
    if problems:
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataError("training data failed its checks:\n" + "\n".join(problems[:20]) + more)
    return sources


def _record_problems(path: Path, records: list[dict[str, Any]], root: str) -> list[str]:
    problems: list[str] = []
    missing: dict[str, list[str]] = {}
    checked: dict[str, bool] = {}
    ranges = _FrameRanges(path, root)
    for rec in records:
        rid = rec.get("id")
        frames = rec.get("frames")
        indices = frames.get("indices") if isinstance(frames, Mapping) else None
        if not _index_list(indices):
            problems.append(f"{path}: record {rid!r}: 'frames.indices' must be a non-empty list of integers >= 0")
        if not isinstance(rec.get("question"), str) or not isinstance(rec.get("answer"), str):
            problems.append(f"{path}: record {rid!r}: 'question' and 'answer' must be strings")
        options = rec.get("options")
        if options is not None and not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
            problems.append(f"{path}: record {rid!r}: 'options' must be null or a list of strings")
        form = rec.get("answer_form", "letter")
        if form not in ANSWER_FORMS:
            problems.append(f"{path}: record {rid!r}: 'answer_form' must be one of {ANSWER_FORMS}, got {form!r}")
        elif form == "text" and options and rec.get("answer") not in options:
            problems.append(f"{path}: record {rid!r}: a text-form answer must be one of its options")
        video = rec.get("video")
        if not isinstance(video, str):
            problems.append(f"{path}: record {rid!r}: 'video' must be a path string")
            continue
        if video not in checked:
            try:
                checked[video] = resolve_under(root, video).is_file()
            except ValueError as exc:
                problems.append(f"{path}: record {rid!r}: {exc}")
                checked[video] = True
        if not checked[video]:
            missing.setdefault(video, []).append(str(rid))
            continue
        problems += ranges.range_problems(rec, video, indices)
    for video, ids in missing.items():
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        problems.append(f"{path}: video {video!r} not found under {root} (records {shown})")
    return problems + ranges.unreadable()


class _FrameRanges:
    """Frame indices checked against each video's frame count, probing every video once, so a
    record asking for a frame its video does not have fails before training, not mid-run."""

    def __init__(self, path: Path, root: str):
        self.path, self.root = path, root
        self.counts: dict[str, int | None] = {}
        self.errors: dict[str, str] = {}

    def count(self, video: str) -> int | None:
        if video not in self.counts:
            from sf2t.video import VideoError, probe

            try:
                self.counts[video] = probe(resolve_under(self.root, video)).num_frames
            except (VideoError, ValueError) as exc:
                self.counts[video] = None
                self.errors[video] = str(exc)
        return self.counts[video]

    def range_problems(self, rec: Mapping[str, Any], video: str, indices: Any) -> list[str]:
        """This record's frame indices, and a paste transform's source frame, against their videos."""
        wanted = [(video, max(indices))] if _index_list(indices) else []
        transform = rec["frames"].get("transform") if isinstance(rec.get("frames"), Mapping) else None
        pasted = isinstance(transform, Mapping) and transform.get("kind") == "paste"
        source = transform.get("source") if pasted else None
        if isinstance(source, Mapping) and isinstance(source.get("video"), str) and _is_index(source.get("index")):
            try:
                exists = resolve_under(self.root, source["video"]).is_file()
            except ValueError as exc:
                return [f"{self.path}: record {rec.get('id')!r}: paste source: {exc}"]
            if not exists:
                return [f"{self.path}: record {rec.get('id')!r}: paste source video {source['video']!r} not found"]
            wanted.append((source["video"], source["index"]))
        problems = []
        for name, last in wanted:
            total = self.count(name)
            if total is not None and last >= total:
                problems.append(
                    f"{self.path}: record {rec.get('id')!r}: frame {last} is beyond video {name!r}, "
                    f"which has {total} frames (0..{total - 1})"
                )
        return problems

    def unreadable(self) -> list[str]:
        return [f"{self.path}: video {video!r} cannot be read: {why}" for video, why in self.errors.items()]


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _index_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_index(k) for k in value)


# --------------------------------------------------------------------------- the mixture plan


def mixture_plan(sources: Sequence[Source], num_micro_batches: int, global_batch: int, seed: int) -> np.ndarray:
    """``(num_micro_batches, global_batch, 2)`` int array of (source, record) pairs.

    Each slot picks a source with probability proportional to its ratio; each source hands
    out its records in seeded permutations, one pass after another.
    """
    ratios = np.array([s.spec.ratio if s.records else 0.0 for s in sources], dtype=np.float64)
    if ratios.sum() <= 0:
        raise DataError("the data mixture is empty: no source has both records and a positive ratio")
    slots = num_micro_batches * global_batch
    choice_rng = np.random.default_rng([seed, 0x5F2])
    chosen = choice_rng.choice(len(sources), size=slots, p=ratios / ratios.sum())
    picks = np.zeros(slots, dtype=np.int64)
    for s, source in enumerate(sources):
        where = np.flatnonzero(chosen == s)
        if where.size == 0:
            continue
        n = len(source.records)
        passes = -(-where.size // n)
        order = np.concatenate([np.random.default_rng([seed, 0x5F3, s, p]).permutation(n) for p in range(passes)])
        picks[where] = order[: where.size]
    return np.stack([chosen, picks], axis=-1).reshape(num_micro_batches, global_batch, 2)


def plan_digest(plan: np.ndarray) -> str:
    """A short fingerprint of a plan, stored in checkpoints to refuse resuming on other data."""
    return hashlib.sha256(np.ascontiguousarray(plan, dtype=np.int64).tobytes()).hexdigest()[:16]


# --------------------------------------------------------------------------- frames


class FrameCache:
    """Decoded frames per video, least recently used evicted beyond ``max_bytes``.

    Every frame index any record of a video needs is decoded in one call on first use, so a
    clip shared by several records (the usual case for fragment tasks) is decoded once. Frames
    are then picked and the record's transform applied, exactly as `sf2t.video.transforms.materialize`
    does.
    """

    def __init__(self, sources: Sequence[Source], max_bytes: int):
        self.max_bytes = max_bytes
        self._needed: dict[tuple[str, str], set[int]] = {}
        for source in sources:
            for rec in source.records:
                self._needed.setdefault((source.root, rec["video"]), set()).update(rec["frames"]["indices"])
        self._clips: OrderedDict[tuple[str, str], tuple[dict[int, int], np.ndarray]] = OrderedDict()
        self._bytes = 0

    def frames(self, record: Mapping[str, Any], root: str) -> np.ndarray:
        from sf2t.video.transforms import apply_transform

        indices = record["frames"]["indices"]
        where, clip = self._clip(root, record["video"], indices)
        try:
            frames = clip[[where[k] for k in indices]]
            return apply_transform(frames, record["frames"].get("transform"), root)
        except ValueError as exc:
            raise DataError(f"record {record.get('id')!r} ({record['video']}): {exc}") from exc

    def _clip(self, root: str, video: str, indices: Sequence[int]) -> tuple[dict[int, int], np.ndarray]:
        from sf2t.video import read_frames

        key = (root, video)
        if key in self._clips:
            self._clips.move_to_end(key)
            return self._clips[key]
        wanted = sorted(self._needed.get(key, set()) | set(indices))
        clip = read_frames(resolve_under(root, video), wanted)
        entry = ({k: i for i, k in enumerate(wanted)}, clip)
        if clip.nbytes <= self.max_bytes:
            self._clips[key] = entry
            self._bytes += clip.nbytes
            while self._bytes > self.max_bytes:
                _, (_, old) = self._clips.popitem(last=False)
                self._bytes -= old.nbytes
        return entry


# --------------------------------------------------------------------------- batches


def prompt_of(record: Mapping[str, Any]) -> str:
    from sf2t.common.prompts import record_prompt

    return record_prompt(record)


def answer_tokens(batch: dict[str, torch.Tensor]) -> int:
    """Tokens the loss averages over (labels are shifted by one inside the model)."""
    return int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())


def encode_groups(llm, pairs: Sequence[tuple[dict[str, Any], str]], samples: SampleCache) -> list[Group]:
    """Encode records as one or more batches with their share of the answer tokens.

    Families that stack videos into one (batch, frames, ...) tensor take only equal frame
    counts per batch (`VideoLLM.batch_groups`), and fragment tasks mix frame counts; so a
    micro-batch may become several batches. Weighting each batch's mean loss by its share of
    the answer tokens gives exactly the loss of the micro-batch taken as one. A record that
    ``samples`` kept is not decoded or encoded again: its kept sample is collated into exactly the
    batch a fresh encoding gives.
    """
    encoded = [samples.sample(rec, root) for rec, root in pairs]
    numbered = [bool(rec.get("numbered", False)) for rec, _ in pairs]
    batches = []
    for group in llm.groups_for_counts([count for _, count in encoded], numbered):
        batch = llm.collate([encoded[i][0] for i in group])
        batches.append((batch, answer_tokens(batch), len(group)))
    total = sum(tokens for _, tokens, _ in batches) or 1
    return [Group(batch, tokens / total, size) for batch, tokens, size in batches]


@dataclass
class Group:
    """One model-ready batch of a micro-batch; ``weight`` is its share of the answer tokens."""

    batch: dict[str, torch.Tensor]
    weight: float
    size: int


class MicroBatches(torch.utils.data.Dataset):
    """Item ``k`` is this process's share of micro-batch ``k`` of the plan, encoded by the model
    (a list of `Group`, usually one).

    Map-style (indexed by micro-batch number) so that a `DataLoader` with workers stays in plan
    order and a resumed run simply starts at a later index.
    """

    def __init__(
        self,
        plan: np.ndarray,
        sources: Sequence[Source],
        llm,
        rank: int,
        per_rank: int,
        cache_mb: int,
        sample_cache_mb: int = 0,
    ):
        self.plan = plan[:, rank * per_rank : (rank + 1) * per_rank]
        self.sources = sources
        self.llm = llm
        self.cache = SampleCache(llm, FrameCache(sources, cache_mb * 2**20), sample_cache_mb * 2**20)

    def __len__(self) -> int:
        return len(self.plan)

    def records(self, k: int) -> list[tuple[dict[str, Any], str]]:
        return [(self.sources[s].records[r], self.sources[s].root) for s, r in self.plan[k]]

    def __getitem__(self, k: int) -> list[Group]:
        return encode_groups(self.llm, self.records(k), self.cache)


def batch_loader(dataset: MicroBatches, start: int, num_workers: int, seed: int) -> torch.utils.data.DataLoader:
    """Micro-batches ``start..`` in plan order; workers (if any) encode ahead of the loop.

    The loader gets its own generator: by default it would draw its worker seed from torch's
    global RNG, and a resumed run would then see a shifted dropout stream."""
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=None,
        collate_fn=_keep,
        generator=torch.Generator().manual_seed(seed),
        sampler=range(start, len(dataset)),
        num_workers=num_workers,
        persistent_workers=False,
        prefetch_factor=2 if num_workers else None,
    )


def _keep(item):
    """Items are already batches (lists of `Group`); the default collate would rebuild them."""
    return item


def data_summary(sources: Sequence[Source]) -> list[dict[str, Any]]:
    """Per-source counts and normalised ratios, for the run's log and result."""
    total = sum(s.spec.ratio for s in sources) or 1.0
    return [
        {
            "name": s.spec.label,
            "path": os.fspath(s.spec.path),
            "records": len(s.records),
            "ratio": s.spec.ratio,
            "share": s.spec.ratio / total,
        }
        for s in sources
    ]
