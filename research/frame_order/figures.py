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
    runs = {os.path.basename(p)[:-5]: json.load(open(p)) for p in sorted(glob.glob(f"{HERE}/results/*.json"))}
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for name, r in runs.items():
        curve = r.get("curve", [])
        if not curve:
            continue
        if name.startswith("text_control"):
            xs = [c["step"] for c in curve]
            axes[0].plot(xs, [c["heldout"]["acc"] for c in curve], marker="o", label=name.replace("text_control_", "text: "))
            continue
        # steps run on across stages
        offset, xs, last_stage, prev = 0, [], 0, 0
        for c in curve:
            if c.get("stage", 0) != last_stage:
                offset += prev
                last_stage = c["stage"]
            xs.append(offset + c["step"])
            prev = c["step"]
        for ax, task in ((axes[1], "disorder"), (axes[2], "rearrangement")):
            ys = [c.get(task) for c in curve]
            if any(y is not None for y in ys):
                ax.plot(xs, ys, marker=".", label=name)
    for ax, title, chance in ((axes[0], "(b) text control: disorder from positions in words", 0.5),
                              (axes[1], "vision: disorder (held out)", 0.5),
                              (axes[2], "vision: rearrangement (held out)", 0.25)):
        ax.axhline(chance, color="grey", ls="--", lw=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training step (all stages)")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=6)
    axes[0].set_ylabel("accuracy (cloze)")
    fig.tight_layout()
    fig.savefig(f"{HERE}/curves.png", dpi=90)


if __name__ == "__main__":
    main()
