"""Collect the first adoption attempt's measurements (mini profile with position captions at 35% of
the base's 3,000 steps) from the experiment's cache into one results file.

Reads each base's competence (the newest `results/cache/experiment/mini/competence/<family>*/stage.json`
that measured positions) and the
held-out task accuracies of SF²T fine-tunes run through the experiment's own stages (task_eval
items files, under the roots of `RUNS`: library/adopt_alt*, made by experiment_run.py), and the longer bases of
base_extend.py with their position-bin readings (poscap_bases.py for the 35% bases).

Run from the repository root after the runs: PYTHONPATH=. python research/frame_order/adoption_collect.py
Writes research/frame_order/results/adoption_round1.json."""

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LIBRARY = HERE / "library"  # experiment_run.py roots; their caches (videos, models) are not committed
RUNS = {  # name -> (cache root, family, what differed from the mini profile's SF²T)
    "mini SF²T (five tasks, disorder 4-8 / rearrangement 3-5 frames)": (REPO / "results", "qwen2_vl", "as the profile"),
    "study SF²T (disorder + rearrangement, 4 frames)": (LIBRARY / "adopt_altA", "qwen2_vl",
                                                        "mix disorder=1,rearrangement=1; 4 frames; 6,000 samples"),
    "study SF²T from x2 (the base + 3,000 steps at 50% positions)": (
        LIBRARY / "adopt_altD", "qwen2_vl", "base x2; mix disorder=1,rearrangement=1; 4 frames; 6,000 samples"),
    "study SF²T from x3 (appended position stage + 1,500-step refresher)": (
        LIBRARY / "adopt_altE", "qwen2_vl", "base x3; mix disorder=1,rearrangement=1; 4 frames; 6,000 samples"),
    "mini SF²T from x2": (LIBRARY / "adopt_altF", "qwen2_vl", "base x2; the profile's five tasks and frame counts"),
}
EXTENDED = ("x1_qwen2vl_plus1500_pos50", "x2_qwen2vl_plus3000_pos50", "x3_qwen2vl_e5_refresh1500_pos35")


def wilson(k, n, z=1.96):
    p, d = k / n, 1 + z * z / n
    c, h = (p + z * z / (2 * n)) / d, z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 3), round(c + h, 3)]


def task_accuracy(items_file):
    acc, preds = defaultdict(lambda: [0, 0]), defaultdict(lambda: defaultdict(int))
    for line in Path(items_file).read_text().splitlines():
        r = json.loads(line)
        acc[r["category"]][0] += int(r["correct"])
        acc[r["category"]][1] += 1
        preds[r["category"]][str(r["pred"])] += 1
    return {k: {"acc": round(c / n, 3), "n": n, "ci95": wilson(c, n), "pred_share": {p: round(m / n, 3) for p, m in
            sorted(preds[k].items())}} for k, (c, n) in sorted(acc.items())}


def main():
    out = {"profile": "mini (adoption attempt 1: position captions at 35% of both base stages, frame_repeat 2)",
           "bases": {}, "sf2t": {}}
    for family in ("qwen2_vl", "qwen2_5_vl"):
        found = sorted((REPO / "results/cache/experiment/mini/competence").glob(f"{family}*/stage.json"),
                       key=lambda p: p.stat().st_mtime)  # a rerun moves a finished stage aside (.stale-*)
        found = [p for p in found if "-seed" not in p.parent.name and "caption_position" in p.read_text()]
        marker = json.loads(found[-1].read_text())
        out["bases"][family] = {k: {m: v[m] for m in ("accuracy", "balanced_accuracy", "chance", "n")}
                                for k, v in marker["outputs"]["competence"].items()}
    out["bases_poscap"] = json.loads((HERE / "results" / "poscap_adoption_bases_35.json").read_text())
    for name in EXTENDED:  # base_extend.py's results: competence and position bins of the longer bases
        r = json.loads((HERE / "results" / f"{name}.json").read_text())
        out["bases"][name] = {**{k: {m: v[m] for m in ("accuracy", "balanced_accuracy", "chance", "n")}
                                 for k, v in r["competence"].items()}, "poscap": r["poscap_heldout"],
                              "from": r["base"], "extra_steps": r["config"]["steps"], "share": r["config"]["share"]}
    for name, (root, family, differs) in RUNS.items():
        cache = root / "cache/experiment/mini"
        if not (cache / f"task_eval/{family}/sf2t/seed0/items.jsonl").is_file():
            continue
        out["sf2t"][name] = {"family": family, "differs": differs,
                             "heldout": task_accuracy(cache / f"task_eval/{family}/sf2t/seed0/items.jsonl")}
        agg = cache / f"eval/{family}/sf2t/seed0/aggregate.json"
        if agg.is_file():
            cats = json.loads(agg.read_text())["categories"]
            out["sf2t"][name]["bench"] = {c: {"acc": cats[c]["accuracy"], "n": cats[c]["n"]}
                                          for c in ("Adjust or Not", "Rearrangement") if cats[c]["n"]}
    (HERE / "results" / "adoption_round1.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1)[:3000])


if __name__ == "__main__":
    main()
