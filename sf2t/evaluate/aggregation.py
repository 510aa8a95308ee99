"""The aggregate of a run: accuracy over all items and over the answered ones, with bootstrap
95% intervals, overall, per level and per category, plus the baselines; and the aggregate as
table rows.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from sf2t.bench import CATEGORIES, LEVEL_OF, LEVELS
from sf2t.evaluate.baselines import majority_baseline, random_baseline
from sf2t.evaluate.formulations import formulation_accuracy


def bootstrap_ci(
    values: Sequence[float], n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> list[float] | None:
    """Percentile bootstrap interval of the mean; None for no values."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return None
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_resamples, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [round(float(lo), 6), round(float(hi), 6)]


def _group_stats(recs: list[dict[str, Any]], n_bootstrap: int, seed: int, name: str) -> dict[str, Any]:
    n = len(recs)
    correct = [1.0 if r["correct"] else 0.0 for r in recs]
    answered = [c for c, r in zip(correct, recs, strict=True) if r["answered"]]
    s = seed * 1_000_003 + zlib.crc32(name.encode())
    return {
        "n": n,
        "answered": len(answered),
        "correct": int(sum(correct)),
        "accuracy": round(sum(correct) / n, 6) if n else None,
        "accuracy_answered": round(sum(answered) / len(answered), 6) if answered else None,
        "ci95": bootstrap_ci(correct, n_bootstrap, s),
        "ci95_answered": bootstrap_ci(answered, n_bootstrap, s + 1),
    }


def aggregate(
    items: Sequence[dict[str, Any]],
    records: dict[str, dict[str, Any]],
    circular: bool = False,
    n_bootstrap: int = 1000,
    seed: int = 0,
    blind_records: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Accuracy (all items and answered items) with bootstrap 95% intervals, overall, per
    level and per category, plus the random and majority baselines. Items are taken in bench
    order, so the result does not depend on the order records were written in. Cloze records
    add ``formulations``: the accuracy of every cloze formulation (and PMI, given the blind run's
    records), recomputed from the records' raw scores."""
    evaluated = [it for it in items if it["id"] in records]
    recs = [records[it["id"]] for it in evaluated]

    def stats(name, keep):
        return _group_stats([r for r, it in zip(recs, evaluated, strict=True) if keep(it)], n_bootstrap, seed, name)

    result = {
        "overall": stats("overall", lambda it: True),
        "levels": {lv: stats(lv, lambda it, lv=lv: it["level"] == lv) for lv in LEVELS},
        "categories": {c: stats(c, lambda it, c=c: it["category"] == c) for c in CATEGORIES},
        "counts": {
            "items": len(items),
            "evaluated": len(evaluated),
            "not_evaluated": len(items) - len(evaluated),
            "videos": len({it["video"] for it in evaluated}),
        },
        "baselines": {
            "random": random_baseline(evaluated, circular),
            "majority": majority_baseline(evaluated, circular),
        },
    }
    if any("cloze" in r for r in recs):
        flat = formulation_accuracy(
            evaluated,
            records,
            blind_records,
            {
                "overall": lambda it: True,
                **{f"level:{lv}": (lambda it, lv=lv: it["level"] == lv) for lv in LEVELS},
                **{f"category:{c}": (lambda it, c=c: it["category"] == c) for c in CATEGORIES},
            },
        )
        result["formulations"] = {
            "overall": flat["overall"],
            "levels": {lv: flat[f"level:{lv}"] for lv in LEVELS},
            "categories": {c: flat[f"category:{c}"] for c in CATEGORIES},
        }
    return result


def summary_rows(agg: dict[str, Any]) -> list[dict[str, Any]]:
    """The aggregate as table rows: one per category, level and overall, with the baselines."""
    rows = []
    b = agg["baselines"]
    blind = b.get("blind")

    def row(level, category, s, base_key):
        def pick(d):
            if d is None:
                return None
            return d[base_key[0]] if base_key[1] is None else d[base_key[0]][base_key[1]]

        blind_s = pick(blind) if blind else None
        return {
            "level": level,
            "category": category,
            "n": s["n"],
            "accuracy": s["accuracy"],
            "ci95": s["ci95"],
            "accuracy_answered": s["accuracy_answered"],
            "answered": s["answered"],
            "random": pick(b["random"]),
            "majority": pick(b["majority"]),
            "blind": blind_s["accuracy"] if isinstance(blind_s, dict) else None,
        }

    for c in CATEGORIES:
        rows.append(row(LEVEL_OF[c], c, agg["categories"][c], ("categories", c)))
    for lv in LEVELS:
        rows.append(row(lv, "all", agg["levels"][lv], ("levels", lv)))
    rows.append(row("all", "all", agg["overall"], ("overall", None)))
    return rows
