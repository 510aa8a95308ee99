# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · The video world
#
# SF²T and FineVidBench are about *fine-grained* video understanding: what moved, which way, how fast,
# what the scene looks like at the end. The paper works with real clips (probably in the style of
# Something-Something V2). To run the whole study on two CPU cores we build a small **procedural world**
# instead (`sf2t/world/`, docs/method.md §4) whose every clip comes with exact ground truth. It is **our
# construction**, not the paper's data.
#
# - **Scenes**: one to three flat shapes (circle, square, triangle, diamond) in distinct saturated
#   colours on a grey background: plain, stripes, checker or per-pixel noise. The textured kinds are the
#   main difficulty knob (`WorldConfig(backgrounds=("plain",))` is the easy world).
# - **Actions**: one object, the *actor*, performs one of twelve templates: move left / right / up / down,
#   rotate, grow, shrink, change colour, appear, disappear, fall off (leave the frame across an edge) and
#   collide (move until it touches another object).
# - **Effect**: the end state, as data and as a sentence (final region, final size, new colour, the edge
#   it left by, the object it touches, the frame where it happened).
# - **Speed**: "slow" or "fast", the pace of the actor's change (fast is twice slow), recorded in
#   pixels per frame. *Playback* speed is separate: it is made later by resampling frame indices
#   (`sf2t.video.speed_indices`), never by re-encoding.
# - **Files**: real H.264 MP4s (libx264, yuv420p), so the real decoder runs, plus one JSON truth per
#   clip and an `index.jsonl`. Everything derives from a seed; training, SFT-labelled and benchmark
#   videos come from disjoint seed ranges (`world.SPLITS`), checked by `world.check_disjoint`.

# %% tags=["parameters"]
repo_root = None  # the sf2t checkout (None: found from the working directory, else from the installed sf2t)
out_dir = None  # where the demo clips go (None: a fresh temporary folder)
results_dir = None  # None: <repo>/results (the reproduce test points it at a temporary folder)
paper_dir = None  # the paper folder (reproduce passes paper/); None: results/scratch/00_video_world/
profile = "mini"  # set by `nox -s reproduce`; this notebook is equally cheap under every profile
size = 112  # frame width and height (pixels)
num_frames = 32
seed = 0  # run seed: video i of the bench split gets seed SPLITS["bench"][0] + seed * SEED_BLOCK + i
strip_frames = 8  # frames shown per clip

# %%
import importlib.util
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

here = Path.cwd()
root = Path(repo_root) if repo_root else next(
    (p for p in [here, *here.parents] if (p / "pyproject.toml").is_file() and (p / "sf2t").is_dir()), None
)
if root is None:  # papermill run from outside the checkout: the checkout sf2t is installed from (pip install -e)
    spec = importlib.util.find_spec("sf2t")
    root = Path(spec.origin).parents[1] if spec and spec.origin else here
if not (root / "pyproject.toml").is_file() or not (root / "sf2t").is_dir():
    raise SystemExit(f"no sf2t checkout at or above {here}, and sf2t is not installed from one: run inside the "
                     "repository, pass -p repo_root <checkout>, or `pip install -e <checkout>`")
sys.path.insert(0, str(root))

from sf2t import world  # noqa: E402
from sf2t.report import paper_root, save_figure  # noqa: E402
from sf2t.video import PLAYBACK_SPEEDS, load_clip, read_frames, sample_indices, speed_indices  # noqa: E402

figures = paper_root(root, None, paper_dir, "00_video_world") / "figures"  # the same for every profile
figures.mkdir(parents=True, exist_ok=True)
world_dir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="sf2t_world_demo_"))

# %% [markdown]
# ## One clip per action template
#
# Consecutive seeds cycle through the twelve actions (and every block of twelve alternates the speed),
# so twelve consecutive videos show every template once.

# %%
config = world.WorldConfig(width=size, height=size, num_frames=num_frames)
t0 = time.perf_counter()
truths = world.generate(world_dir, len(world.ACTIONS), "bench", seed=seed, config=config, progress=False)
print(f"{len(truths)} clips of {num_frames} frames at {size}x{size} in {time.perf_counter() - t0:.1f} s -> {world_dir}")
truths = sorted(truths, key=lambda t: world.ACTIONS.index(t["action"]))
for t in truths:
    print(f"{t['id']}  {t['action']:<13} {t['speed']:<5} {t['background']['kind']:<8} {t['caption']}")

# %% [markdown]
# ## What a truth record holds
#
# One JSON object per clip (the field names are the contract the benchmark builds on). The boxes list
# one `[x0, y0, x1, y1]` (x1, y1 exclusive) per object per frame, `null` while an object is invisible.

# %%
example = next(t for t in truths if t["action"] == "collide")
shown = {k: v for k, v in example.items() if k != "boxes"}
shape = f"{len(example['boxes'])} frames x {len(example['objects'])} objects"
shown["boxes"] = f"[{shape}] first frame: {example['boxes'][0]}"
print(json.dumps(shown, indent=1))

# %% [markdown]
# ## Frame strips per action template
#
# Each row is one clip decoded with `sf2t.video` (decord, PyAV as fallback) at `strip_frames` indices
# spread over the clip, endpoints included. The actor's truth box is drawn in white; a dashed box marks
# the last frame where it was visible when it has left or vanished.

# %%
def strip(ax_row, truth, indices, title):
    frames = read_frames(world_dir / truth["video"], indices)
    for ax, frame, i in zip(ax_row, frames, indices, strict=True):
        ax.imshow(frame, interpolation="nearest")
        box = truth["boxes"][int(i)][truth["actor"]]
        if box is not None:
            ax.add_patch(Rectangle((box[0] - 0.5, box[1] - 0.5), box[2] - box[0], box[3] - box[1],
                                   fill=False, edgecolor="white", linewidth=0.8))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{int(i)}", fontsize=6, labelpad=1)
    ax_row[0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=7)


strip_idx = sample_indices(num_frames, strip_frames, "endpoints")
speed_clip = next(t for t in truths if t["action"] == "move_right")
rows = len(truths) + len(PLAYBACK_SPEEDS)
fig, axes = plt.subplots(rows, strip_frames, figsize=(strip_frames * 0.9, rows * 0.95))
for row, truth in zip(axes, truths, strict=False):
    strip(row, truth, strip_idx, f"{truth['action']}\n({truth['speed']})")
for row, speed in zip(axes[len(truths):], PLAYBACK_SPEEDS, strict=True):
    strip(row, speed_clip, speed_indices(num_frames, strip_frames, speed), f"move_right\nplayback {speed:g}x")
fig.suptitle("The procedural video world: one clip per action template (frame index below each frame),\n"
             "then one clip at four playback speeds (index resampling)", fontsize=8)
fig.tight_layout(h_pad=0.2, w_pad=0.1)
save_figure(fig, figures / "video_world")  # PDF + PNG without timestamps: reproducible bytes
plt.show()

# %% [markdown]
# ## Playback speed
#
# `speed_indices(total, n, speed)` picks `n` frames so that at 1x they span a quarter of the clip and at
# the fastest variant (4x) the whole clip; at 0.5x frames repeat (slow motion). The object's speed
# ("slow"/"fast") is a property of the scene; the playback speed is a property of how we sample it.

# %%
for speed in PLAYBACK_SPEEDS:
    idx = speed_indices(num_frames, strip_frames, speed)
    print(f"{speed:>4g}x  indices {idx.tolist()}")

# %% [markdown]
# ## Speed in pixels per frame
#
# Translations record the centre's pace; grow/shrink the size change per frame; rotate the arc its
# outermost vertex travels. Change colour, appear and disappear are instantaneous: their speed name is
# drawn for balance but recorded as 0 px/frame (`world.SPEED_ACTIONS` lists where speed is visible).

# %%
for t in truths:
    if t["action"] in world.SPEED_ACTIONS:
        pace = f"{t['speed_px_per_frame']:6.3f} px/frame"
        print(f"{t['action']:<13} {t['speed']:<5} {pace}   effect: {t['effect']['text']}")

# %% [markdown]
# ## The decoded pixels agree with the truth
#
# A quick check of what `tests/test_synth.py` asserts on every clip: the bounding box of the actor's
# colour in the decoded frames matches its truth box within the blur of 4:2:0 chroma subsampling.

# %%
errors = []
for t in truths:
    clip = load_clip(world_dir / t["video"])
    for i, frame in enumerate(clip.frames):
        box = t["boxes"][i][t["actor"]]
        if box is None or min(box[2] - box[0], box[3] - box[1]) < 3:
            continue
        colour = t["objects"][t["actor"]]["color"]
        if t["action"] == "change_color" and i >= t["effect"]["frame"]:
            colour = t["effect"]["to"]
        mask = np.abs(frame.astype(int) - world.COLORS[colour]).sum(-1) < 60
        ys, xs = np.nonzero(mask)
        errors.append(np.abs(np.subtract([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], box)).max())
print(f"{len(errors)} actor boxes checked; largest edge error {max(errors)} px; "
      f"distribution {sorted(Counter(int(e) for e in errors).items())}")

# %% [markdown]
# ## Splits never share a video
#
# Each split owns a range of seeds and each run seed its own block inside it, so videos made for
# training, for the small labelled SFT set and for the benchmark can never coincide.

# %%
for split, (lo, hi) in world.SPLITS.items():
    print(f"{split:<9} seeds [{lo:,}, {hi:,})  run 0 starts {world.video_id(world.video_seed(split, 0, 0))}")
other = Path(tempfile.mkdtemp(prefix="sf2t_world_train_"))
world.generate(other, 3, "train", seed=seed, config=config, progress=False)
print("disjoint:", world.check_disjoint(world_dir, other))
print(f"figure: {figures / 'video_world.pdf'} and .png")
