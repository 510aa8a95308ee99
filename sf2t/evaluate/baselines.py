"""Baselines computed from the items alone, reported in every aggregate: random guessing
(expected accuracy) and the majority answer letter per category (computed on the items
themselves, so an upper bound on any fixed letter prior). The third baseline, the blind run,
needs the model and is made by `sf2t.evaluate.runner.evaluate`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from sf2t.bench import CATEGORIES, LEVELS
from sf2t.evaluate.items import _shifts, rotate_item


def _by_group(items: Sequence[dict[str, Any]], value) -> dict[str, Any]:
    """``value(list of items)`` overall, per level and per category."""
    return {
        "overall": value(list(items)),
        "levels": {lv: value([it for it in items if it["level"] == lv]) for lv in LEVELS},
        "categories": {c: value([it for it in items if it["category"] == c]) for c in CATEGORIES},
    }


def random_baseline(items: Sequence[dict[str, Any]], circular: bool = False) -> dict[str, Any]:
    """Expected accuracy of uniform guessing: 1/m per item, (1/m)^m under circular evaluation."""

    def value(group):
        if not group:
            return None
        p = [(1 / len(it["options"])) ** (len(it["options"]) if circular else 1) for it in group]
        return round(float(np.mean(p)), 6)

    return _by_group(items, value)


def majority_letters(items: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The most frequent answer letter per category (ties: the earliest letter)."""
    out = {}
    present = {it["category"] for it in items}
    for c in [*CATEGORIES, *sorted(present - set(CATEGORIES))]:  # the benchmark's, then any other (task items)
        counts = Counter(it["answer"] for it in items if it["category"] == c)
        if counts:
            out[c] = min(counts, key=lambda k: (-counts[k], k))
    return out


def majority_baseline(items: Sequence[dict[str, Any]], circular: bool = False) -> dict[str, Any]:
    """Accuracy of always answering the category's majority letter, computed on the items
    themselves: an upper bound on what any fixed letter prior reaches. Under circular
    evaluation a fixed letter is right on one rotation only, so it scores 0."""
    letters = majority_letters(items)

    def right(it):
        return all(rotate_item(it, k)[1] == letters[it["category"]] for k in _shifts(it, circular))

    def value(group):
        return round(float(np.mean([right(it) for it in group])), 6) if group else None

    res = _by_group(items, value)
    res["letters"] = letters
    return res
