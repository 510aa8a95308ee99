"""From per-run item records to the numbers the paper's tables show: mean ± 95% CI over seeds
per family, setting, level and category; paired tests of SF²T against the base and of
SFT+SF²T against SFT; the leave-one-task-out ablation; accuracy against frame count and
playback speed. Reads only the committed results files (``runs/**/*.items.jsonl.gz``).

Statistics (our choices):
- Over seeds: the mean of the per-seed accuracies with a Student-t 95% interval; with one seed
  (the base is one checkpoint per family) the interval is the item bootstrap of that run
  (``ci_kind`` says which).
- Paired difference of arm A over arm B on the same items: per item, the mean over seeds of
  A's correctness minus B's (paired by seed when both arms have seeds; the base's single run is
  paired with every seed); a two-sided sign-flip permutation test of the mean difference over
  items, and a bootstrap 95% interval of it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.bench import CATEGORIES, LEVEL_OF, LEVELS
from sf2t.experiment.estimates import _r, bootstrap_mean_ci, mde, rng_for, seed_mean_ci, sign_flip_test
from sf2t.experiment.paths import read_items, run_file
from sf2t.experiment.plan import Run

COMPARISONS = (
    ("sft", "base"),
    ("sf2t", "base"),
    ("sft_sf2t", "base"),
    ("sft_sf2t", "sft"),
    ("sf2t", "sft"),
    ("control", "base"),
)
GROUPS = [("all", "all"), *[(lv, "all") for lv in LEVELS], *[(LEVEL_OF[c], c) for c in CATEGORIES]]


def _in_group(rec: dict[str, Any], level: str, category: str) -> bool:
    return (level == "all" or rec["level"] == level) and (category == "all" or rec["category"] == category)


class Table:
    """Item correctness of every run, as arrays over a fixed item order."""

    def __init__(self, results: Path, runs: Sequence[Run], items: Sequence[dict[str, Any]]):
        self.ids = [it["id"] for it in items]
        self.meta = {it["id"]: it for it in items}
        self.correct: dict[tuple[str, str], dict[int | None, np.ndarray]] = defaultdict(dict)
        self.records: dict[tuple[str, str], dict[int | None, dict[str, dict]]] = defaultdict(dict)
        for run in runs:
            recs = {r["id"]: r for r in read_items(run_file(results, run).with_suffix(".items.jsonl.gz"))}
            missing = [i for i in self.ids if i not in recs]
            if missing:
                raise ValueError(f"run {run.id}: no record for {len(missing)} item(s), e.g. {missing[:3]}")
            self.records[(run.family, run.arm)][run.seed] = recs
            self.correct[(run.family, run.arm)][run.seed] = np.array([bool(recs[i]["correct"]) for i in self.ids])

    def mask(self, keep) -> np.ndarray:
        return np.array([bool(keep(self.meta[i])) for i in self.ids])

    def arms(self, family: str) -> list[str]:
        return [arm for (fam, arm) in self.correct if fam == family]


def accuracy_rows(t: Table, profile, families: Sequence[str]) -> list[dict[str, Any]]:
    """Mean ± 95% CI over seeds, per family, arm, level and category."""
    n_boot, seed = profile.stats.get("n_bootstrap", 2000), profile.stats.get("seed", 0)
    rows = []
    for family in families:
        for arm in t.arms(family):
            runs = t.correct[(family, arm)]
            for level, category in GROUPS:
                m = t.mask(lambda it, lv=level, c=category: _in_group(it, lv, c))
                if not m.any():
                    continue
                per_seed = [float(v[m].mean()) for _, v in sorted(runs.items(), key=lambda kv: kv[0] or 0)]
                mean, lo, hi = seed_mean_ci(per_seed)
                kind = "seeds (t)"
                if len(per_seed) == 1:
                    ci = bootstrap_mean_ci(
                        next(iter(runs.values()))[m].astype(float), n_boot, rng_for(seed, family, arm, level, category)
                    )
                    lo, hi = ci
                    kind = "items (bootstrap)"
                rows.append(
                    {
                        "family": family,
                        "setting": arm,
                        "level": level,
                        "category": category,
                        "n_items": int(m.sum()),
                        "n_seeds": len(per_seed),
                        "mean": _r(mean),
                        "ci_low": _r(lo),
                        "ci_high": _r(hi),
                        "ci_kind": kind,
                        "per_seed": [_r(a) for a in per_seed],
                    }
                )
    return rows


def paired(t: Table, family_arms: Sequence[tuple[str, str, str]], mask: np.ndarray, profile, name: str) -> dict:
    """Mean paired difference A − B over items (pooled over the listed families), its bootstrap
    CI and sign-flip p-value. ``family_arms`` lists (family, arm A, arm B)."""
    diffs, acc_a, acc_b, seeds = [], [], [], set()
    for family, a, b in family_arms:
        ra, rb = t.correct[(family, a)], t.correct[(family, b)]
        common = sorted(set(ra) & set(rb), key=lambda s: s or 0)
        if common and common != [None]:  # paired by seed
            d = np.mean([ra[s][mask].astype(float) - rb[s][mask].astype(float) for s in common], axis=0)
            seeds.add(len(common))
        else:  # one side is a single run (the base): pair it with the other side's seed mean
            ma = np.mean([v[mask].astype(float) for v in ra.values()], axis=0)
            mb = np.mean([v[mask].astype(float) for v in rb.values()], axis=0)
            d = ma - mb
            seeds.add(max(len(ra), len(rb)))
        diffs.append(d)
        acc_a.append(np.mean([v[mask].mean() for v in ra.values()]))
        acc_b.append(np.mean([v[mask].mean() for v in rb.values()]))
    d = np.concatenate(diffs) if diffs else np.array([])
    seed = profile.stats.get("seed", 0)
    ci = bootstrap_mean_ci(d, profile.stats.get("n_bootstrap", 2000), rng_for(seed, "ci", name))
    p = sign_flip_test(d, profile.stats.get("n_permutations", 10000), rng_for(seed, "p", name))
    return {
        "mean_a": _r(np.mean(acc_a)),
        "mean_b": _r(np.mean(acc_b)),
        "diff": _r(d.mean()) if d.size else None,
        "diff_ci_low": _r(ci[0]) if ci else None,
        "diff_ci_high": _r(ci[1]) if ci else None,
        "p_value": _r(p),
        "mde": mde(d),
        "n_items": int(d.size),
        "n_seeds": sorted(seeds),
    }


def comparison_rows(t: Table, profile, families: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for a, b in COMPARISONS:
        fams = [f for f in families if (f, a) in t.correct and (f, b) in t.correct]
        for family in [*fams, "all families"] if len(fams) > 1 else fams:
            members = fams if family == "all families" else [family]
            for level in ("all", *LEVELS):
                m = t.mask(lambda it, lv=level: _in_group(it, lv, "all"))
                res = paired(t, [(f, a, b) for f in members], m, profile, f"{family}|{a}|{b}|{level}")
                rows.append({"family": family, "a": a, "b": b, "level": level, **res})
    return rows


def ablation_rows(t: Table, profile) -> list[dict[str, Any]]:
    family = profile.ablation.get("family")
    if not family or (family, "sf2t") not in t.correct:
        return []
    seeds = profile.ablation.get("seeds", [0])
    rows = []
    full = {s: v for s, v in t.correct[(family, "sf2t")].items() if s in seeds}
    for arm in ["sf2t", *sorted(a for a in t.arms(family) if a.startswith("sf2t-no_"))]:
        runs = {s: v for s, v in t.correct[(family, arm)].items() if s in seeds}
        for level in ("all", *LEVELS):
            m = t.mask(lambda it, lv=level: _in_group(it, lv, "all"))
            mean, lo, hi = seed_mean_ci([float(v[m].mean()) for v in runs.values()])
            if len(runs) == 1:  # one seed: the interval is the item bootstrap, as in the main table
                lo, hi = bootstrap_mean_ci(
                    next(iter(runs.values()))[m].astype(float),
                    profile.stats.get("n_bootstrap", 2000),
                    rng_for(0, "ablation", family, arm, level),
                )
            row = {
                "family": family,
                "setting": arm,
                "left_out": arm.removeprefix("sf2t-no_") if arm != "sf2t" else "",
                "level": level,
                "n_seeds": len(runs),
                "mean": _r(mean),
                "ci_low": _r(lo),
                "ci_high": _r(hi),
            }
            if arm != "sf2t":
                d = np.mean([runs[s][m].astype(float) - full[s][m].astype(float) for s in runs], axis=0)
                name = f"ablation|{arm}|{level}"
                ci = bootstrap_mean_ci(d, profile.stats.get("n_bootstrap", 2000), rng_for(0, "ci", name))
                row.update(
                    {
                        "mde": mde(d),
                        "diff_vs_full": _r(d.mean()),
                        "diff_ci_low": _r(ci[0]),
                        "diff_ci_high": _r(ci[1]),
                        "p_value": _r(
                            sign_flip_test(d, profile.stats.get("n_permutations", 10000), rng_for(0, "p", name))
                        ),
                    }
                )
            rows.append(row)
    return rows


def sweep_rows(t: Table, profile, families: Sequence[str], key: str) -> list[dict[str, Any]]:
    """Accuracy of every family and main setting against ``key``: ``"n_frames"`` (Action and
    Effect questions, by the number of frames shown) or ``"speed"`` (Action questions, by the
    playback speed of their frames). Mean ± t-CI over seeds (one seed: item bootstrap)."""
    cats = ("Action", "Effect") if key == "n_frames" else ("Action",)
    rows = []
    for family in families:
        for arm in [a for a in t.arms(family) if "-no_" not in a]:
            runs = t.correct[(family, arm)]
            any_recs = next(iter(t.records[(family, arm)].values()))
            values = sorted(
                {any_recs[i][key] for i in t.ids if t.meta[i]["category"] in cats and any_recs[i][key] is not None}
            )
            for value in values:
                m = np.array([t.meta[i]["category"] in cats and any_recs[i][key] == value for i in t.ids])
                per_seed = [float(v[m].mean()) for _, v in sorted(runs.items(), key=lambda kv: kv[0] or 0)]
                mean, lo, hi = seed_mean_ci(per_seed)
                if len(per_seed) == 1:
                    lo, hi = bootstrap_mean_ci(
                        next(iter(runs.values()))[m].astype(float),
                        profile.stats.get("n_bootstrap", 2000),
                        rng_for(0, key, family, arm, str(value)),
                    )
                rows.append(
                    {
                        "family": family,
                        "setting": arm,
                        key: value,
                        "n_items": int(m.sum()),
                        "n_seeds": len(per_seed),
                        "mean": _r(mean),
                        "ci_low": _r(lo),
                        "ci_high": _r(hi),
                    }
                )
    return rows


def baseline_rows(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    from sf2t.evaluate import majority_baseline, random_baseline

    rnd, maj = random_baseline(items), majority_baseline(items)
    rows = [{"level": "all", "category": "all", "random": rnd["overall"], "majority": maj["overall"]}]
    rows += [
        {"level": lv, "category": "all", "random": rnd["levels"][lv], "majority": maj["levels"][lv]} for lv in LEVELS
    ]
    rows += [
        {"level": LEVEL_OF[c], "category": c, "random": rnd["categories"][c], "majority": maj["categories"][c]}
        for c in CATEGORIES
    ]
    return rows


def blind_rows(results: Path, runs: Sequence[Run]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        res = json.loads(run_file(results, run).with_suffix(".json").read_text())
        if res.get("blind"):
            rows.append(
                {
                    "family": run.family,
                    "setting": run.arm,
                    "seed": run.seed,
                    "accuracy": res["blind"]["overall"]["accuracy"],
                    "levels": {lv: res["blind"]["levels"][lv]["accuracy"] for lv in LEVELS},
                }
            )
    return rows


def blind_means(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`blind_rows` averaged over seeds per (family, setting): the text-only control of each arm."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["family"], row["setting"]), []).append(row)
    return [
        {
            "family": family,
            "setting": setting,
            "n_seeds": len(group),
            "accuracy": float(np.mean([r["accuracy"] for r in group])),
            "levels": {lv: float(np.mean([r["levels"][lv] for r in group])) for lv in LEVELS},
        }
        for (family, setting), group in groups.items()
    ]


def summarise(results: str | Path, runs: Sequence[Run], items: Sequence[dict[str, Any]], profile) -> dict[str, Any]:
    """Everything notebook 05 turns into tables and figures, in one JSON-ready dict."""
    from sf2t.experiment.controls import blind_pair_rows, formulation_rows, frame_count_rows
    from sf2t.experiment.task_eval import summarise_tasks

    results = Path(results)
    t = Table(results, runs, items)
    families = list(profile.families)
    competence = json.loads((results / "competence.json").read_text())
    return {
        "profile": profile.name,
        "note": profile.note,
        "families": families,
        "settings": list(profile.settings),
        "seeds": {f: profile.seeds_for(f) for f in families},
        "n_items": len(items),
        "gate": {
            "passed": competence["passed"],
            "on_fail": competence["on_fail"],
            "min_accuracy": competence["min_accuracy"],
            "metric": competence.get("metric", "accuracy"),
            "competence": {f: v["competence"] for f, v in competence["families"].items()},
        },
        "main": accuracy_rows(t, profile, families),
        "comparisons": comparison_rows(t, profile, families),
        "ablation": ablation_rows(t, profile),
        "sweeps": {
            "n_frames": sweep_rows(t, profile, families, "n_frames"),
            "speed": sweep_rows(t, profile, families, "speed"),
        },
        "baselines": baseline_rows(items),
        "blind": blind_rows(results, runs),
        "blind_means": blind_means(blind_rows(results, runs)),
        "tasks": summarise_tasks(results, runs, profile),
        "blind_pairs": blind_pair_rows(results, runs, items, profile),
        "formulations": formulation_rows(results, runs),
        "frame_count_control": frame_count_rows(results, runs, items),
        "scoring": {"mode": profile.scoring, "normalization": profile.evaluation.get("normalization", "char")},
    }
