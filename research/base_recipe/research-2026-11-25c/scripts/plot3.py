"""Plot one probe run: held-out accuracy per question kind (balanced where named) against steps."""
import csv, sys
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
out, f = sys.argv[1], sys.argv[2]
rs = list(csv.DictReader(open(f)))
x = [int(r["step"]) for r in rs]
keys = [k for k in rs[0] if k in ("colorF", "shapeF", "happeningF_bal", "happening_bal", "object", "match")]
fig, ax = plt.subplots(figsize=(7, 3.6))
for k in keys:
    ax.plot(x, [float(r[k]) for r in rs], marker=".", label=k)
ax.set_ylim(0, 1.02); ax.set_xlabel("step"); ax.set_ylabel("held-out accuracy"); ax.grid(alpha=.3); ax.legend(fontsize=7)
ax.set_title(f.split("/")[-1].replace(".csv", ""), fontsize=9); fig.tight_layout(); fig.savefig(out, dpi=80)
