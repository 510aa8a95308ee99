"""Plot one probe run: held-out accuracy per question kind (balanced where named) against steps.

Made every .png in the study's curves/ from the CSV of the same name (run from the repository root,
seconds):

    C=research/base_recipe/research-2026-11-25c/curves
    python research/base_recipe/research-2026-11-25c/scripts/plot3.py $C/e5_q2_64_mix_fixed_shuffled_bal_v2048.png \
        $C/e5_q2_64_mix_fixed_shuffled_bal_v2048.csv
"""
import argparse
import csv
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                             epilog=__doc__.split("\n\n", 1)[1])
ap.add_argument("out", help="figure to write (.png)")
ap.add_argument("csv", help="curve CSV written by train_balanced.py")
args = ap.parse_args()
out, f = args.out, args.csv
rs = list(csv.DictReader(open(f)))
x = [int(r["step"]) for r in rs]
keys = [k for k in rs[0] if k in ("colorF", "shapeF", "happeningF_bal", "happening_bal", "object", "match")]
fig, ax = plt.subplots(figsize=(7, 3.6))
for k in keys:
    ax.plot(x, [float(r[k]) for r in rs], marker=".", label=k)
ax.set_ylim(0, 1.02); ax.set_xlabel("step"); ax.set_ylabel("held-out accuracy"); ax.grid(alpha=.3); ax.legend(fontsize=7)
ax.set_title(f.split("/")[-1].replace(".csv", ""), fontsize=9); fig.tight_layout(); fig.savefig(out, dpi=80)
