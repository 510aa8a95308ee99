"""Turning scoring requests into per-item records: how a model's answer to one question is
read, and how the answers to an item's rotations become its record.

- Letter scoring reads the log-probabilities of the option letters at the answer position
  (``model.letter_scores_batch``): no text is parsed, every item gets an answer.
- Cloze scoring asks the question alone and scores each option's own words as the answer
  (``model.option_scores``); the record keeps every option's raw log-probability, token and
  character count, and the prediction is the option chosen under ``normalization``
  (`sf2t.evaluate.formulations`).
- Generation decodes greedily and `extract_letter` turns the text into a letter or None;
  accuracy is reported over all items and over the answered ones.

The model is used through duck typing only: ``letter_scores_batch(frames_list, prompts,
letters_list, numbered=...)``, ``option_scores(frames_list, prompts, options_list, numbered=...)``
and ``generate(frames, prompt, max_new_tokens=..., numbered=...)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sf2t.common.answers import extract_letter
from sf2t.evaluate.formulations import cloze_values
from sf2t.evaluate.items import _to_original


def _score_requests(
    model, mode: str, requests: list[dict[str, Any]], batch_size: int, max_new_tokens: int, normalization: str = "char"
) -> None:
    """Fill each request (frames, prompt, letters, numbered) with ``pred``, ``raw`` and ``scores``
    (and ``cloze`` in cloze mode).

    Letter and cloze batches group requests of the same shape (numbered or not, frame count,
    prompt length), so a 2-frame question is not padded to a 16-frame one. The model reads each
    request at its own last position, so its batch changes its scores by float rounding only
    (padding changes the shapes of the matrix products; up to 2e-6 measured), and the batches
    are fixed by the caller (`sf2t.evaluate.runner.pool_plan`) so that a resumed run repeats
    them."""
    if mode == "cloze":
        ordered = sorted(requests, key=lambda r: (r["numbered"], len(r["frames"]), len(r["prompt"])))
        for s in range(0, len(ordered), batch_size):
            chunk = ordered[s : s + batch_size]
            scores = model.option_scores(
                [r["frames"] for r in chunk],
                [r["prompt"] for r in chunk],
                [r["options"] for r in chunk],
                numbered=[r["numbered"] for r in chunk],
            )
            for r, per_option in zip(chunk, scores, strict=True):
                r["cloze"] = {
                    "logprob": [round(float(lp), 6) for lp, _ in per_option],
                    "tokens": [int(n) for _, n in per_option],
                    "chars": [len(o) for o in r["options"]],
                }
                r["pred"] = r["letters"][int(np.argmax(cloze_values(r["cloze"], normalization)))]
                r["scores"] = None
                r["raw"] = None
    elif mode == "letters":
        ordered = sorted(requests, key=lambda r: (r["numbered"], len(r["frames"]), len(r["prompt"])))
        for s in range(0, len(ordered), batch_size):
            chunk = ordered[s : s + batch_size]
            scores = model.letter_scores_batch(
                [r["frames"] for r in chunk],
                [r["prompt"] for r in chunk],
                [r["letters"] for r in chunk],
                numbered=[r["numbered"] for r in chunk],
            )
            for r, sc in zip(chunk, scores, strict=True):
                sc = np.asarray(sc, dtype=float)
                r["scores"] = {letter: round(float(v), 6) for letter, v in zip(r["letters"], sc, strict=True)}
                r["pred"] = r["letters"][int(np.argmax(sc))]  # ties go to the first letter
                r["raw"] = None
    else:
        for r in requests:
            text = model.generate(r["frames"], r["prompt"], max_new_tokens=max_new_tokens, numbered=r["numbered"])
            r["raw"] = text
            r["scores"] = None
            r["pred"] = extract_letter(text, r["letters"], r["options"])


def _record(item: dict[str, Any], reqs: list[dict[str, Any]], mode: str, blind: bool) -> dict[str, Any]:
    m = len(item["options"])
    by_shift = []
    for r in reqs:
        by_shift.append(
            {
                "shift": r["shift"],
                "raw": r["raw"],
                "scores": r["scores"],
                "pred": _to_original(r["pred"], r["shift"], m),
                "correct": r["pred"] == r["answer"],
            }
        )
    first = by_shift[0]
    rec = {
        "id": item["id"],
        "video": item["video"],
        "level": item["level"],
        "category": item["category"],
        "answer": item["answer"],
        "frame_indices": [int(i) for i in item["frames"]["indices"]],
        "transform": item["frames"].get("transform"),
        "speed": item["frames"].get("speed"),
        "order": item["frames"].get("order"),
        "numbered": bool(item.get("numbered", False)),
        "mode": mode,
        "blind": blind,
        "raw": first["raw"],
        "scores": first["scores"],
        "pred": first["pred"],
        "answered": all(s["pred"] is not None for s in by_shift),
        "correct": all(s["correct"] for s in by_shift),
    }
    if len(by_shift) > 1:
        rec["rotations"] = by_shift
    if "cloze" in reqs[0]:
        rec["cloze"] = reqs[0]["cloze"]
    return rec
