import sys, csv, glob, math
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
files = sys.argv[2:]; out = sys.argv[1]
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
