"""Batch tensors for `VideoLLM`: the frames a clip must bring, an answer appended to an encoded
prompt (labels on the answer only), samples right-padded into one batch, and a batch re-padded
after tokens are inserted. Functions of tensors and a tokenizer, which the class calls."""

from __future__ import annotations

import numpy as np
import torch

IGNORE_INDEX = -100
_SEQUENCE_KEYS = {
    "input_ids": None,
    "attention_mask": 0,
    "labels": IGNORE_INDEX,
    "mm_token_type_ids": 0,
    "token_type_ids": 0,
}


def check_frames(frames, index: int) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"clip {index}: frames must be an array (T, H, W, 3) with T >= 1, got shape {frames.shape}")
    if frames.dtype != np.uint8:
        raise ValueError(f"clip {index}: frames must be uint8 RGB, got dtype {frames.dtype}")
    return frames


def append_answer(
    sample: dict[str, torch.Tensor], answer_ids: list[int], end_ids: list[int]
) -> dict[str, torch.Tensor]:
    ids = torch.tensor([answer_ids + end_ids], dtype=sample["input_ids"].dtype)
    extended = dict(sample)
    extended["input_ids"] = torch.cat([sample["input_ids"], ids], dim=1)
    extended["labels"] = torch.cat([sample["labels"], ids], dim=1)
    for key in ("attention_mask", "mm_token_type_ids", "token_type_ids"):
        if key in sample:
            fill = 1 if key == "attention_mask" else 0
            extended[key] = torch.cat([sample[key], torch.full_like(ids, fill)], dim=1)
    return extended


def collate(samples: list[dict[str, torch.Tensor]], tokenizer) -> dict[str, torch.Tensor]:
    """Right-pad the token-aligned tensors; concatenate the visual ones in clip order (every
    family's model reads its pixel tensors as a concatenation over the batch's visuals)."""
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.eos_token_id
    length = max(s["input_ids"].shape[1] for s in samples)
    batch: dict[str, torch.Tensor] = {}
    for key in samples[0]:
        values = [s[key] for s in samples if key in s]
        if key in _SEQUENCE_KEYS:
            fill = pad_id if key == "input_ids" else _SEQUENCE_KEYS[key]
            batch[key] = torch.cat([torch.nn.functional.pad(v, (0, length - v.shape[1]), value=fill) for v in values])
        else:
            batch[key] = torch.cat(values)
    for key in {k for s in samples for k in s} - set(batch):  # visuals only some clips have
        batch[key] = torch.cat([s[key] for s in samples if key in s])
    return batch


def insert_after_prompt(batch, rows, lengths, tokenizer):
    """Append each clip's shared answer tokens after its prompt and re-pad."""
    samples = []
    for i, shared in enumerate(rows):
        n = int(lengths[i])
        extra = torch.tensor([shared], dtype=batch["input_ids"].dtype)
        sample = {}
        for key, value in batch.items():
            if key in _SEQUENCE_KEYS:
                fill = extra if key == "input_ids" else torch.full_like(extra, 1 if key == "attention_mask" else 0)
                sample[key] = torch.cat([value[i : i + 1, :n], fill], dim=1)
        samples.append(sample)
    padded = collate(samples, tokenizer)
    return {**batch, **padded}
