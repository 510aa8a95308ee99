"""Statistics of a bench (the per-category table), a letter-balanced subset of it, and the
plain-text rendering of such tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from sf2t.bench.schema import CATEGORIES, LEVEL_OF, LEVELS


def bench_stats(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per category, then one per level and a total: videos, questions, questions
    per video, options per question and the answer-letter spread."""
    rows = []

    def row(level: str, category: str, group: list[dict]) -> dict[str, Any]:
        letters = Counter(it["answer"] for it in group)
        return {
            "level": level,
            "category": category,
            "videos": len({it["video"] for it in group}),
            "questions": len(group),
            "questions_per_video": round(len(group) / max(1, len({it["video"] for it in group})), 2),
            "mean_options": round(float(np.mean([len(it["options"]) for it in group])), 2) if group else 0.0,
            "answer_letters": " ".join(f"{k}:{letters[k]}" for k in sorted(letters)),
        }

    for category in CATEGORIES:
        group = [it for it in items if it["category"] == category]
        rows.append(row(LEVEL_OF[category], category, group))
    for level in LEVELS:
        rows.append(row(level, "all", [it for it in items if it["level"] == level]))
    rows.append(row("all", "all", list(items)))
    return rows


def spread_subset(items: Sequence[dict[str, Any]], per_category: int) -> list[dict[str, Any]]:
    """``per_category`` items of each category, as many with each answer letter as the bench
    allows, evenly spaced through the bench (so they come from many videos), in bench order.

    Balanced over answer letters because a small subset spaced by position alone can skew them
    (the builder alternates letters in patterns), and then a model that always says one letter
    scores far above chance: an earlier unbalanced subset did exactly that (results/experiment/README.md).
    """
    keep = set()
    for category in CATEGORIES:
        by_letter: dict[str, list[str]] = {}
        for it in items:
            if it["category"] == category:
                by_letter.setdefault(it["answer"], []).append(it["id"])
        quota = _letter_quota({a: len(v) for a, v in sorted(by_letter.items())}, per_category)
        for letter, k in quota.items():
            ids = by_letter[letter]
            keep |= {ids[(2 * i + 1) * len(ids) // (2 * k)] for i in range(k)}  # centres of k equal spans
    return [it for it in items if it["id"] in keep]


def _letter_quota(available: dict[str, int], total: int) -> dict[str, int]:
    """Split ``total`` as evenly as possible over the letters, never more than a letter has."""
    quota = dict.fromkeys(available, 0)
    left = min(total, sum(available.values()))
    while left:
        open_letters = [a for a in available if quota[a] < available[a]]
        for a in open_letters[:left]:
            quota[a] += 1
        left -= min(left, len(open_letters))
    return quota


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    cols = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(str(r[c]).ljust(w) for c, w in zip(cols, widths, strict=True)) for r in rows]
    return "\n".join(lines)
