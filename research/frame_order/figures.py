"""Figures from results/*.json: held-out accuracy curves of every run (disorder, rearrangement,
text-control disorder), with chance lines. Run: python research/frame_order/figures.py"""

import glob
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    def order(path):  # text controls first, then v1, v2, ..., v10, ... in run order
        name = os.path.basename(path)
        return (0, name) if not name.startswith("v") else (1, int(name.split("_")[0][1:]))

    runs = {os.path.basename(p)[:-5]: json.load(open(p)) for p in sorted(glob.glob(f"{HERE}/results/*.json"), key=order)}
    fig, axes = plt.subplots(1, 3, figsize=(18, 5.2))
    palette, k = plt.get_cmap("tab20").colors, -1  # past 20 runs the colours repeat, dashed
    for name, r in runs.items():
        curve = r.get("curve", [])
        if not curve:
            continue
        if name.startswith("text_control"):
            xs = [c["step"] for c in curve]
            axes[0].plot(xs, [c["heldout"]["acc"] for c in curve], marker="o", label=name.replace("text_control_", "text: "))
            continue
        # staged runs: only the last (SF²T) stage; the caption stage's points are left out
        last = max(c.get("stage", 0) for c in curve)
        pts = [c for c in curve if c.get("stage", 0) == last]
        xs = [c["step"] for c in pts]
        for ax, task in ((axes[1], "disorder"), (axes[2], "rearrangement")):
            ys = [c.get(task) for c in pts]
            if any(y is not None for y in ys):
                if task == "disorder":
                    k += 1
                    colour, style = palette[k % len(palette)], "-" if k < len(palette) else "--"
                (line,) = ax.plot(xs, ys, marker=".", lw=1, ls=style, label=name, color=colour)
                ax.plot([xs[-1]], [r["after"][task]["acc"]], marker="*", ms=11, color=line.get_color())
    for ax, title, chance, target in ((axes[0], "(b) text control: disorder from positions in words", 0.5, None),
                                      (axes[1], "vision: disorder, held out (dots n=100-150, star n=300 final)", 0.5, 0.8),
                                      (axes[2], "vision: rearrangement, held out (dots n=100, star n=300 final)", 0.25, 0.5)):
        ax.axhline(chance, color="grey", ls="--", lw=1)
        if target:
            ax.axhline(target, color="green", ls=":", lw=1)  # the target
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("SF²T / text training step")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=6)
    axes[0].set_ylabel("accuracy (cloze)")
    fig.tight_layout()
    fig.savefig(f"{HERE}/curves.png", dpi=90)


if __name__ == "__main__":
    main()
