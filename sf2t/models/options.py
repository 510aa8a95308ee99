"""Cloze scoring: the log-probability of each option's own words as the answer to a question.

An option is scored exactly as training writes an answer (answer prefix + the option's text +
end of turn, after the same prompt), so a model trained in text form is scored on what it was
trained to say. The options of a question share one prompt (frames + question): the prompt is
encoded once, its key/value cache is kept, and every option's tokens run as a short batch on top
of it. Prompts of equal token length (same question template, same frame count) share one
forward pass. ``reuse_prefix=False`` scores each option as a whole sequence instead (the
reference the cached path is tested against; equal within float tolerance for every family).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from sf2t.models.inputs import IGNORE_INDEX, collate


@torch.no_grad()
def option_logprobs(
    llm,
    frames_list: Sequence[np.ndarray],
    prompts: Sequence[str],
    options_list: Sequence[Sequence[str]],
    numbered: Sequence[bool] | None = None,
    fps: Sequence[float | None] | None = None,
    reuse_prefix: bool = True,
) -> list[list[tuple[float, int]]]:
    """Per clip, per option: (summed log-probability of the option's answer tokens, their count)."""
    n = len(frames_list)
    numbered = [False] * n if numbered is None else list(numbered)
    fps = [None] * n if fps is None else list(fps)
    if not (len(prompts) == len(options_list) == len(numbered) == len(fps) == n):
        raise ValueError("option_logprobs needs one prompt, option list, numbered flag and fps per clip")
    if any(len(opts) == 0 for opts in options_list):
        raise ValueError("every question needs at least one option")
    was_training = llm.model.training
    llm.model.eval()
    try:
        if not reuse_prefix:
            return [
                _whole_sequences(llm, frames_list[i], prompts[i], options_list[i], numbered[i], fps[i])
                for i in range(n)
            ]
        prefixes = [llm._encode_prompt(frames_list[i], prompts[i], numbered[i], fps[i], index=i) for i in range(n)]
        groups: dict[tuple, list[int]] = {}
        for i, p in enumerate(prefixes):  # equal length and visual layout: one batch without padding
            key = (p["input_ids"].shape[1], numbered[i], len(frames_list[i]))
            groups.setdefault(key, []).append(i)
        scores: list[list[tuple[float, int]]] = [[] for _ in range(n)]
        for group in groups.values():
            batch = collate([prefixes[i] for i in group], llm.tokenizer)
            batch.pop("labels")
            for i, result in zip(group, _cached(llm, batch, [options_list[i] for i in group]), strict=True):
                scores[i] = result
        return scores
    finally:
        llm.model.train(was_training)


def _continuations(llm, options: Sequence[str]) -> list[list[int]]:
    out = []
    for option in options:
        answer_ids, end_ids = llm._answer_ids(option)
        out.append(answer_ids + end_ids)
    return out


def _cached(
    llm, batch: dict[str, torch.Tensor], options_list: Sequence[Sequence[str]]
) -> list[list[tuple[float, int]]]:
    """One forward pass over the prompts (keeping the cache), one over every option on top of it."""
    model = llm.model
    length = batch["input_ids"].shape[1]
    out = model(**llm.to_device(batch), use_cache=True)
    first = torch.log_softmax(out.logits[:, -1].float(), dim=-1)  # the first answer token's distribution
    conts = [_continuations(llm, opts) for opts in options_list]
    owner = [q for q, cs in enumerate(conts) for _ in cs]
    rows = [c for cs in conts for c in cs]
    width = max(len(c) for c in rows)
    results = [[(float(first[q, c[0]]), len(c)) for c in cs] for q, cs in enumerate(conts)]
    if width == 1:
        return results
    pad = llm.tokenizer.pad_token_id if llm.tokenizer.pad_token_id is not None else llm.tokenizer.eos_token_id
    ids = torch.tensor([c + [pad] * (width - len(c)) for c in rows])
    mask = torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in rows])
    index = torch.tensor(owner)
    cache = out.past_key_values
    cache.batch_select_indices(index.to(llm.device))
    positions = torch.arange(length, length + width).unsqueeze(0).expand(len(rows), width)
    inner = getattr(model, "get_base_model", lambda: model)()
    deltas = getattr(getattr(inner, "model", inner), "rope_deltas", None)
    if deltas is not None:  # multimodal RoPE (Qwen-VL): text positions continue from the prompt's offset
        positions = (positions + deltas.reshape(-1, 1)[index.to(deltas.device)].cpu()).unsqueeze(0).expand(3, -1, -1)
    attention = torch.cat([torch.ones(len(rows), length, dtype=mask.dtype), mask], dim=1)
    logits = model(
        input_ids=ids.to(llm.device),
        attention_mask=attention.to(llm.device),
        position_ids=positions.to(llm.device),
        past_key_values=cache,
        use_cache=False,
    ).logits
    logp = torch.log_softmax(logits.float(), dim=-1).cpu()
    r = 0
    for q, cs in enumerate(conts):
        for k, c in enumerate(cs):
            rest = logp[r, torch.arange(len(c) - 1), torch.tensor(c[1:], dtype=torch.long)].sum() if len(c) > 1 else 0.0
            results[q][k] = (results[q][k][0] + float(rest), len(c))
            r += 1
    return results


def _whole_sequences(llm, frames, prompt, options, numbered, fps) -> list[tuple[float, int]]:
    """Each option as its own full sequence (prompt + answer), the answer tokens' log-probabilities summed."""
    k = len(options)
    batch = llm.encode([frames] * k, [prompt] * k, answers=list(options), numbered=[numbered] * k, fps=[fps] * k)
    labels = batch.pop("labels")
    logits = llm.model(**llm.to_device(batch)).logits.float().cpu()
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    target = labels[:, 1:]
    keep = target != IGNORE_INDEX
    picked = logp.gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return [(float((picked[i] * keep[i]).sum()), int(keep[i].sum())) for i in range(k)]
