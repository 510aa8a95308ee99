"""Plot held-out accuracies of several runs against wall-clock minutes, one panel per run's CSV.

Made the study's figures from its curves (run from the repository root, seconds):

    C=research/base_recipe/research-2026-11-25/curves
    python research/base_recipe/research-2026-11-25/scripts/plot.py $C/colour_init.png \\
        $C/one_colF_lr1e-3.csv $C/one_colF_lr1e-4.csv $C/one_colF_lpft.csv $C/one_colF_split.csv \\
        $C/one_colF_fanin_1e-3.csv $C/one_colF_fanin_3e-4.csv
"""

import argparse
import csv
import math

import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                             epilog=__doc__.split("\n\n", 1)[1])
ap.add_argument("out", help="figure to write (.png)")
ap.add_argument("files", nargs="+", help="curve CSVs written by train.py")
args = ap.parse_args()
files = args.files; out = args.out
n = len(files); cols = min(3, n); rows = math.ceil(n / cols)
fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
for ax, f in zip(axes.flat, files):
    rs = list(csv.DictReader(open(f)))
    if not rs: continue
    keys = [k for k in rs[0] if k not in ("step", "wall_s", "train_s", "loss")]
    x = [float(r["wall_s"]) / 60 for r in rs]
    for k in keys:
        ax.plot(x, [float(r[k]) for r in rs], marker=".", label=k)
    ax.set_title(f.split("/")[-1].replace(".csv", ""), fontsize=8); ax.set_ylim(0, 1.02); ax.set_xlabel("wall min"); ax.grid(alpha=.3)
    ax.legend(fontsize=6)
fig.tight_layout(); fig.savefig(out, dpi=80)
