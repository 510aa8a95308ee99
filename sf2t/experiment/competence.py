"""How well a model knows what it was taught: accuracy on multiple-choice records, per task,
plain and balanced over answer classes, scored by letters or by cloze.

`competence` asks a base coarse caption questions about held-out videos (the competence gate);
`record_accuracy` scores any records (SF²T's fragment tasks before and after fine-tuning, for
example). Balanced accuracy (the mean over answer classes of each class's accuracy) matters for
the "happening" question: "something moves" is the answer for 6 of the 12 actions, so always
answering it reaches about 50% plain accuracy but only 1/k balanced accuracy for k classes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

METRICS = ("accuracy", "balanced_accuracy")
SCORINGS = ("letters", "cloze")


def outcomes(
    llm, records: Sequence[dict[str, Any]], root, batch_size: int = 8, scoring: str = "letters"
) -> Iterator[tuple[dict, bool]]:
    """``(record, correct)`` for each multiple-choice record (in either answer form), scored as the
    experiment scores: ``letters`` (the argmax of the letters' log-probabilities after the question
    with its lettered options) or ``cloze`` (the question alone, each option's words scored as the
    answer, per character: `sf2t.evaluate.formulations`)."""
    from sf2t.common.prompts import correct_option, in_answer_form, record_prompt
    from sf2t.evaluate.formulations import cloze_values
    from sf2t.video.transforms import materialize

    if scoring not in SCORINGS:
        raise ValueError(f"unknown scoring {scoring!r}; choose one of {SCORINGS}")
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        frames = [materialize(r, root) for r in chunk]
        numbered = [bool(r.get("numbered")) for r in chunk]
        if scoring == "letters":
            letters = [[chr(ord("A") + k) for k in range(len(r["options"]))] for r in chunk]
            prompts = [record_prompt(in_answer_form(r, "letter")) for r in chunk]
            scores = llm.letter_scores_batch(frames, prompts, letters, numbered=numbered)
            picked = [int(np.argmax(s)) for s in scores]
        else:
            scores = llm.option_scores(frames, [r["question"] for r in chunk], [r["options"] for r in chunk], numbered)
            picked = [
                int(
                    np.argmax(
                        cloze_values({"logprob": [lp for lp, _ in s], "chars": [len(o) for o in r["options"]]}, "char")
                    )
                )
                for r, s in zip(chunk, scores, strict=True)
            ]
        for rec, k in zip(chunk, picked, strict=True):
            yield rec, k == correct_option(rec)


def record_accuracy(
    model_dir, records: Sequence[dict[str, Any]], root, batch_size: int = 8, adapter=None, scoring: str = "letters"
) -> dict[str, dict[str, float]]:
    """Accuracy per ``task`` of multiple-choice records under ``scoring``, with chance level and count."""
    from sf2t.models import load

    correct: dict[str, list[bool]] = {}
    chance: dict[str, list[float]] = {}
    for rec, right in outcomes(load(model_dir, adapter=adapter), records, root, batch_size, scoring):
        kind = rec.get("task", "all")
        correct.setdefault(kind, []).append(right)
        chance.setdefault(kind, []).append(1 / len(rec["options"]))
    return {
        kind: {"accuracy": float(np.mean(v)), "chance": float(np.mean(chance[kind])), "n": len(v)}
        for kind, v in correct.items()
    }


def competence(
    model_dir: str | Path,
    heldout_dir: str | Path,
    kinds: Sequence[str] = ("object", "happening"),
    num_frames: int = 8,
    batch_size: int = 8,
    seed: int = 0,
    scoring: str = "letters",
) -> dict[str, dict[str, Any]]:
    """Per question kind (``caption_object``, ``caption_happening``): accuracy, balanced
    accuracy, chance, the majority class's share, and the number of questions, under ``scoring``
    (the experiment's own: shuffled options in letters, option-free questions in cloze)."""
    from sf2t.models import load
    from sf2t.world import load_truth
    from sf2t.world.captions import caption_records

    truths = load_truth(heldout_dir)
    wrong = sorted({t["id"] for t in truths if t["split"] != "labelled"})
    if wrong:
        raise ValueError(f"{heldout_dir}: competence is measured on labelled-split videos only, got {wrong[:3]}")
    records = caption_records(truths, kinds=list(kinds), num_frames=num_frames, seed=seed + 10_000)
    by_kind: dict[str, list[tuple[str, bool, int]]] = defaultdict(list)
    for rec, right in outcomes(load(model_dir), records, heldout_dir, batch_size, scoring):
        by_kind[rec["task"]].append((rec["meta"]["answer_text"], right, len(rec["options"])))
    return {kind: summarise_outcomes(rows) for kind, rows in sorted(by_kind.items())}


def wilson_low(k: int, n: int, z: float = 1.959964) -> float:
    """The lower bound of the Wilson 95% interval of a proportion ``k / n``."""
    if n == 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float((centre - spread) / (1 + z * z / n))


def summarise_outcomes(rows: Sequence[tuple[str, bool, int]]) -> dict[str, Any]:
    """``rows`` of (answer class, correct, number of options) -> the competence numbers."""
    by_class: dict[str, list[bool]] = defaultdict(list)
    for cls, right, _ in rows:
        by_class[cls].append(right)
    n, k = len(rows), sum(bool(r) for _, r, _ in rows)
    return {
        "accuracy": round(float(np.mean([r for _, r, _ in rows])), 6),
        "ci95_low": round(wilson_low(k, n), 6),
        "balanced_accuracy": round(float(np.mean([np.mean(v) for v in by_class.values()])), 6),
        "chance": round(float(np.mean([1 / m for _, _, m in rows])), 6),
        "majority_share": round(max(len(v) for v in by_class.values()) / len(rows), 6),
        "classes": len(by_class),
        "n": len(rows),
    }
