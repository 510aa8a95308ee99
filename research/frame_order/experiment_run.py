"""One run of the mini experiment through the experiment's own stages (worlds, benchmark, task items,
`sf2t.experiment.runs.run_one`: its data, fine-tune, benchmark and held-out task evaluation), with profile
overrides, under another results root, from the profile's committed base or from ``BASE_DIR``; no
competence gate and no leakage check (both are the full experiment's). Used for the adoption's
alternatives (library/adopt_*).

Run from the repository root:
  BASE_DIR=research/frame_order/models/x2_qwen2vl_plus3000_pos50/run/final PYTHONPATH=. \
  python research/frame_order/experiment_run.py qwen2_vl sf2t 0 '{"sf2t.mix": "disorder=1,rearrangement=1"}' \
  research/frame_order/library/adopt_altD
(the root needs bases/mini -> results/bases/mini when BASE_DIR is not given)."""
import json
import os
import sys
import time
from pathlib import Path

from sf2t.common.stage_cache import read_marker
from sf2t.experiment import Paths, load_profile, plan_runs
from sf2t.experiment.benchmark import stage_bench
from sf2t.experiment.runs import run_one
from sf2t.experiment.task_eval import stage_task_items
from sf2t.experiment.worlds import stage_worlds

if __name__ == "__main__":
    family, setting, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    overrides = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    root = Path(sys.argv[5]) if len(sys.argv) > 5 else Path("results")
    profile = load_profile("mini", overrides)
    paths = Paths.of(root, profile)
    worlds = stage_worlds(profile, paths, print)
    bench = stage_bench(profile, paths, worlds, print)
    run = next(r for r in plan_runs(profile) if (r.family, r.setting, r.seed) == (family, setting, seed))
    base = paths.bases / family
    marker = read_marker(base)
    shared = {
        "worlds": worlds,
        "bases": {family: os.environ.get("BASE_DIR") or str(base / marker["outputs"]["model_dir"])},
        "bench": {"path": bench["path"], "root": bench["root"]},
        "task_items": {family: stage_task_items(profile, paths, family, worlds, print)},
    }
    values = {k: v for k, v in profile.to_dict().items() if k != "source"}
    t = time.time()
    print(json.dumps(run_one(values, paths, run.to_dict(), shared))[:3000])
    print("seconds", round(time.time() - t))
