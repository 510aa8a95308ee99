"""Plot a curriculum run: held-out accuracies (top) and letter-only cross-entropy (bottom) against steps.

Round 1's plot.py with this study's plot.py.patch applied. Dashed lines mark stage changes. Made the
study's two figures from their CSVs (run from the repository root, seconds):

    C=research/base_recipe/research-2026-11-25b/curves
    python research/base_recipe/research-2026-11-25b/scripts/plot_curriculum.py $C/q2_curriculum_s0.png $C/q2_curriculum_s0.csv
"""
import argparse
import csv
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                             epilog=__doc__.split("\n\n", 1)[1])
ap.add_argument("out", help="figure to write (.png)")
ap.add_argument("csv", help="curve CSV written by train_curriculum.py")
args = ap.parse_args()
out, f = args.out, args.csv
rs = list(csv.DictReader(open(f)))
x = [int(r["step"]) for r in rs]
fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
for k, lab, c in [("colorF", "colour (7, fixed)", "C0"), ("shapeF", "shape (4, fixed)", "C1"),
                  ("happeningF_bal", "coarse action bal. (5, fixed)", "C2"),
                  ("happening_bal", "coarse action bal. (4 of 5, shuffled)", "C3"), ("object", "object (4, shuffled)", "C4")]:
    a1.plot(x, [float(r[k]) for r in rs], marker=".", label=lab, color=c)
# fixed schedule: stage_kinds of a row = kinds trained from that step on; gated: "stage" = stage after that eval
key = "stage" if rs[0].get("stage") not in (None, "") else "stage_kinds"
prev = rs[0][key]
for r in rs[1:]:
    if r[key] != prev:
        for ax in (a1, a2): ax.axvline(int(r["step"]), color="grey", ls="--", lw=0.8)
        prev = r[key]
a1.set_ylim(0, 1.02); a1.set_ylabel("held-out accuracy"); a1.grid(alpha=.3); a1.legend(fontsize=7)
a2.plot(x, [float(r["letter_ce"]) for r in rs], marker=".", label="train letter CE (full vocab)")
for k in ("colorF_nll", "shapeF_nll", "happeningF_nll", "happening_nll"):
    a2.plot(x, [float(r[k]) for r in rs], lw=0.8, label="held-out " + k)
a2.set_xlabel("step"); a2.set_ylabel("cross-entropy"); a2.grid(alpha=.3); a2.legend(fontsize=7)
a1.set_title(f.split("/")[-1].replace(".csv", ""), fontsize=9)
fig.tight_layout(); fig.savefig(out, dpi=80)
