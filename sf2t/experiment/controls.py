"""Controls and power: does the video matter (each run against its own blind run, item by item),
and how large a difference each comparison could detect at all.

- Video against blind: per family and setting, per item the mean over seeds of the video run's
  correctness minus the blind run's (black frames, same prompt and frame count); the mean
  difference with a bootstrap 95% interval and a two-sided sign-flip p-value (as every paired
  comparison of `sf2t.experiment.stats`).
- The minimum detectable effect of each (`sf2t.experiment.estimates.mde`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.experiment.estimates import bootstrap_mean_ci, mde, rng_for, sign_flip_test
from sf2t.experiment.paths import read_items, run_file
from sf2t.experiment.plan import Run


def blind_pair_rows(results: Path, runs: Sequence[Run], items: Sequence[dict[str, Any]], profile) -> list[dict]:
    """Video against blind, per family and setting, overall and per level, from the committed
    ``<seed>.items.jsonl.gz`` and ``<seed>.blind.jsonl.gz`` records."""
    from sf2t.bench import LEVELS

    ids = [it["id"] for it in items]
    level = {it["id"]: it["level"] for it in items}
    arms: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    for run in runs:
        stem = run_file(results, run)
        if not stem.with_suffix(".blind.jsonl.gz").is_file():
            continue
        video = {r["id"]: r["correct"] for r in read_items(stem.with_suffix(".items.jsonl.gz"))}
        blind = {r["id"]: r["correct"] for r in read_items(stem.with_suffix(".blind.jsonl.gz"))}
        pair = (np.array([float(video[i]) for i in ids]), np.array([float(blind[i]) for i in ids]))
        arms.setdefault((run.family, run.arm), []).append(pair)
    seed = profile.stats.get("seed", 0)
    rows = []
    for (family, arm), pairs in arms.items():
        video = np.mean([v for v, _ in pairs], axis=0)
        blind = np.mean([b for _, b in pairs], axis=0)
        for lv in ("all", *LEVELS):
            m = np.array([lv == "all" or level[i] == lv for i in ids])
            d = video[m] - blind[m]
            name = f"blind|{family}|{arm}|{lv}"
            ci = bootstrap_mean_ci(d, profile.stats.get("n_bootstrap", 2000), rng_for(seed, "ci", name))
            p = sign_flip_test(d, profile.stats.get("n_permutations", 10000), rng_for(seed, "p", name))
            rows.append(
                {
                    "family": family,
                    "setting": arm,
                    "level": lv,
                    "n_items": int(m.sum()),
                    "n_seeds": len(pairs),
                    "video": round(float(video[m].mean()), 6),
                    "blind": round(float(blind[m].mean()), 6),
                    "diff": round(float(d.mean()), 6),
                    "diff_ci_low": None if ci is None else round(ci[0], 6),
                    "diff_ci_high": None if ci is None else round(ci[1], 6),
                    "p_value": None if p is None else round(p, 6),
                    "mde": mde(d),
                }
            )
    return rows


def formulation_rows(results: Path, runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Overall and per-level accuracy of every scoring formulation (cloze runs), mean over seeds,
    per family and setting: the same records read as OLMES's cloze variants and as PMI."""
    import json

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        res = json.loads(run_file(results, run).with_suffix(".json").read_text())
        if res.get("formulations"):
            groups.setdefault((run.family, run.arm), []).append(res["formulations"])
    rows = []
    for (family, arm), forms in groups.items():
        for level in ("all", "scene", "fragment"):
            pick = [f["overall"] if level == "all" else f["levels"][level] for f in forms]
            row = {"family": family, "setting": arm, "level": level, "n_seeds": len(forms)}
            for name in pick[0]:
                values = [p[name] for p in pick if p.get(name) is not None]
                row[name] = round(float(np.mean(values)), 6) if values else None
            rows.append(row)
    return rows


def frame_count_rows(results: Path, runs: Sequence[Run], items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frame Count by variant, with the video and blind, mean over seeds per family and setting:
    ``count`` ("how many frames are shown?", answerable from the input's length alone) against its
    control ``distinct`` ("how many different frames?", each of k frames shown twice: a model that
    counts inputs answers 2k)."""
    variant = {it["id"]: (it.get("meta") or {}).get("variant") for it in items if it["category"] == "Frame Count"}
    groups: dict[tuple[str, str], list[tuple[dict, dict]]] = {}
    for run in runs:
        stem = run_file(results, run)
        video = {r["id"]: r for r in read_items(stem.with_suffix(".items.jsonl.gz"))}
        blind_path = stem.with_suffix(".blind.jsonl.gz")
        blind = {r["id"]: r for r in read_items(blind_path)} if blind_path.is_file() else {}
        groups.setdefault((run.family, run.arm), []).append((video, blind))
    rows = []
    for (family, arm), seeds in groups.items():
        for kind in ("count", "distinct"):
            ids = [i for i, v in variant.items() if v == kind]
            if not ids:
                continue
            acc = [np.mean([float(video[i]["correct"]) for i in ids]) for video, _ in seeds]
            blind = [np.mean([float(b[i]["correct"]) for i in ids]) for _, b in seeds if b]
            rows.append(
                {
                    "family": family,
                    "setting": arm,
                    "variant": kind,
                    "n_items": len(ids),
                    "n_seeds": len(seeds),
                    "video": round(float(np.mean(acc)), 6),
                    "blind": round(float(np.mean(blind)), 6) if blind else None,
                }
            )
    return rows
