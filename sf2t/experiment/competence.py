"""How well a base model knows the world: letter-scoring accuracy on coarse caption questions
about held-out videos, plain and balanced over answer classes.

Balanced accuracy (the mean over answer classes of each class's accuracy) matters for the
"happening" question: "something moves" is the answer for 6 of the 12 actions, so always
answering it reaches about 50% plain accuracy but only 1/k balanced accuracy for k classes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

METRICS = ("accuracy", "balanced_accuracy")


def competence(
    model_dir: str | Path,
    heldout_dir: str | Path,
    kinds: Sequence[str] = ("object", "happening"),
    num_frames: int = 8,
    batch_size: int = 8,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Per question kind (``caption_object``, ``caption_happening``): accuracy, balanced
    accuracy, chance, the majority class's share, and the number of questions."""
    from sf2t.models import load
    from sf2t.train.data import prompt_of
    from sf2t.video.transforms import materialize
    from sf2t.world import load_truth
    from sf2t.world.captions import caption_records

    truths = load_truth(heldout_dir)
    wrong = sorted({t["id"] for t in truths if t["split"] != "labelled"})
    if wrong:
        raise ValueError(f"{heldout_dir}: competence is measured on labelled-split videos only, got {wrong[:3]}")
    records = caption_records(truths, kinds=list(kinds), num_frames=num_frames, seed=seed + 10_000)
    llm = load(model_dir)
    outcomes: dict[str, list[tuple[str, bool, int]]] = defaultdict(list)
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        letters = [[chr(ord("A") + k) for k in range(len(r["options"]))] for r in chunk]
        scores = llm.letter_scores_batch(
            [materialize(r, heldout_dir) for r in chunk],
            [prompt_of(r) for r in chunk],
            letters,
            numbered=[bool(r.get("numbered")) for r in chunk],
        )
        for rec, options, score in zip(chunk, letters, scores, strict=True):
            right = options[int(np.argmax(score))] == rec["answer"]
            outcomes[rec["task"]].append((rec["meta"]["answer_text"], right, len(options)))
    return {kind: summarise_outcomes(rows) for kind, rows in sorted(outcomes.items())}


def summarise_outcomes(rows: Sequence[tuple[str, bool, int]]) -> dict[str, Any]:
    """``rows`` of (answer class, correct, number of options) -> the competence numbers."""
    by_class: dict[str, list[bool]] = defaultdict(list)
    for cls, right, _ in rows:
        by_class[cls].append(right)
    return {
        "accuracy": round(float(np.mean([r for _, r, _ in rows])), 6),
        "balanced_accuracy": round(float(np.mean([np.mean(v) for v in by_class.values()])), 6),
        "chance": round(float(np.mean([1 / m for _, _, m in rows])), 6),
        "majority_share": round(max(len(v) for v in by_class.values()) / len(rows), 6),
        "classes": len(by_class),
        "n": len(rows),
    }
