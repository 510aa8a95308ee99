"""Print the last held-out row of every run's curve CSV (steps, wall minutes, accuracies), one line per run.

Run from the repository root (seconds):

    python research/base_recipe/research-2026-11-25/scripts/summary.py research/base_recipe/research-2026-11-25/curves
"""

import argparse
import csv
import glob
import os
from pathlib import Path

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("curves", nargs="?", default=str(Path(__file__).resolve().parents[1] / "curves"),
                help="folder of curve CSVs (default: this study's curves/)")
args = ap.parse_args()
for f in sorted(glob.glob(os.path.join(args.curves, "*.csv"))):
    rs = list(csv.DictReader(open(f)))
    if len(rs) < 2: continue
    last = rs[-1]
    keys = [k for k in last if k not in ("step", "wall_s", "train_s", "loss")]
    print(f"{os.path.basename(f)[:-4]:32s} steps {last['step']:>4} wall {float(last['wall_s'])/60:4.1f}min  " + "  ".join(f"{k}={float(last[k]):.2f}" for k in keys))
