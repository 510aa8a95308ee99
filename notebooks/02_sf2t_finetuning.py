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
# # 02 · SF²T fine-tuning of a tiny base model
#
# **SF²T** (Hu et al., CVPR 2025) fine-tunes a Video-LLM on *self-supervised fragment tasks*: questions a
# video answers about itself (how many frames, are these two frames the same, where does a patch appear,
# is the order right, which order restores it), so training needs **no labels**. The paper states the idea
# and (through third-party summaries) the five task names; how we build each task (prompts, frame counts,
# options) is **our construction** (`sf2t/tasks/`, notebook 01, docs/method.md §2), not the paper's.
#
# SF²T starts from a *pretrained* Video-LLM. In our mini world (docs/method.md §4) that is a **base model**: a
# tiny random instance of a real Hugging Face Video-LLM architecture (here Qwen2-VL), first trained on
# **coarse captions** of the synthetic world ("what object is in the video?", "roughly what happens?") so
# that it knows the world but not its fine detail. Then SF²T fine-tunes it on fragment tasks built from
# *unlabelled* training videos. Every answer is written in words (the option's own text, e.g. "yes", "3, 1, 4,
# 2") and scored by cloze: each option's words are scored as the answer to the question alone, and the best
# per character wins. Models of a few million parameters cannot bind option letters to options; they can say
# the answer (docs/method.md). At this scale SF²T fine-tunes the whole model: a LoRA adapter learns none of
# the tasks in 300 steps (measured: research/sf2t_recipe).
#
# This notebook runs that pipeline once, end to end, and shows:
#
# 1. the worlds: training videos (unlabelled for SF²T, captioned for the base) and held-out labelled-split
#    videos, from disjoint seed ranges (never the benchmark split);
# 2. the base: its learning curve and its competence on held-out coarse questions, against chance;
# 3. the SF²T data: the task mixture built from the training videos;
# 4. the SF²T run: its loss curve, with a held-out fragment-task loss;
# 5. before and after: a few held-out fragment questions answered by the base and by base + adapter, and
#    accuracy per task on held-out fragment samples (cloze scoring).
#
# The numbers here are from a few minutes of CPU training of a model with a few hundred thousand to a few
# million parameters: they show what this run did, not what SF²T does in general. The experiment proper
# (all families, SFT vs SF²T vs both, FineVidBench-mini, several seeds) is notebook 04.

# %% tags=["parameters"]
repo_root = None  # the sf2t checkout (None: found from the working directory, else from the installed sf2t)
results_dir = None  # None: <repo>/results/notebook02 (one folder per profile below it)
paper_dir = None  # unused here: accepted so that every notebook takes the same parameters
profile = "mini"  # quick | mini | full | paper (set by `nox -s reproduce`); fills every size left at None
family = "qwen2_vl"  # the tiny model's Video-LLM family (sf2t.models.FAMILIES)
torch_threads = 1  # tiny models run faster on one thread than on two (measured in notebook 03)
world_seed = 0  # run seed of both worlds (each split has its own seed range)
seed = 0  # model initialisation, caption options, fragment-task sampling and data order
# sizes and budgets; None = the profile's value
n_train_videos = None  # training-split videos: captions for the base, unlabelled fragment tasks for SF²T
n_heldout_videos = None  # labelled-split videos: base competence and held-out fragment samples
world_size = None  # frame width and height (px)
world_frames = None  # frames per video
base_model_size = None  # TinySize fields, e.g. {"hidden_size": 128, "num_layers": 4}; {}: the default tiny size
base_steps = None
base_batch_size = None
base_lr = 1e-3
sf2t_samples = None  # fragment-task samples built from the training videos
sf2t_mix = ""  # task ratios in `sf2t tasks --mix` syntax; "": all five tasks, equal ratios
sf2t_steps = None
sf2t_batch_size = None
sf2t_lr = 3e-4
sf2t_mode = "full"  # full: every weight, vision tower included; lora: an adapter on the language model
lora_rank = 8  # only for sf2t_mode = "lora"
heldout_samples = None  # held-out fragment-task samples for the loss curve and the before/after accuracy
n_examples = 5  # held-out questions shown before and after (one per task while tasks last)

# %%
import importlib.util
import json
import shutil
import sys
import textwrap
import time
import warnings
from collections import Counter
from pathlib import Path

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

import torch  # noqa: E402  (loaded before decord: the other order crashes torch's forward pass)

torch.set_num_threads(torch_threads)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from sf2t import world  # noqa: E402
from sf2t.common.prompts import LETTERS, correct_option  # noqa: E402
from sf2t.common.records import write_jsonl  # noqa: E402
from sf2t.experiment.bases import caption_stages  # noqa: E402
from sf2t.experiment.competence import competence, record_accuracy  # noqa: E402
from sf2t.models import load  # noqa: E402
from sf2t.tasks import Mixture, generate_samples  # noqa: E402
from sf2t.train import DataSource, finetune, pretrain_base  # noqa: E402
from sf2t.video.transforms import materialize  # noqa: E402

hf_logging.disable_progress_bar()  # no "Loading weights" bar each time a checkpoint is loaded
warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")

MODEL_4_LAYERS = {"hidden_size": 128, "num_layers": 4, "num_heads": 4, "num_kv_heads": 2,
                  "vision_hidden_size": 64, "vision_layers": 2, "vision_heads": 2}  # fmt: skip
PROFILES = {  # every value is ours; "quick" is a smoke test whose numbers mean nothing
    "quick": {"n_train_videos": 12, "n_heldout_videos": 8, "world_size": 64, "world_frames": 16,
              "base_model_size": {}, "base_steps": 20, "base_batch_size": 4, "sf2t_samples": 60,
              "sf2t_steps": 20, "sf2t_batch_size": 4, "heldout_samples": 40},
    "mini": {"n_train_videos": 160, "n_heldout_videos": 48, "world_size": 64, "world_frames": 16,
             "base_model_size": MODEL_4_LAYERS, "base_steps": 300, "base_batch_size": 8, "sf2t_samples": 640,
             "sf2t_steps": 300, "sf2t_batch_size": 8, "heldout_samples": 100},
    "full": {"n_train_videos": 320, "n_heldout_videos": 96, "world_size": 64, "world_frames": 16,
             "base_model_size": MODEL_4_LAYERS, "base_steps": 800, "base_batch_size": 8, "sf2t_samples": 1600,
             "sf2t_steps": 400, "sf2t_batch_size": 8, "heldout_samples": 250},
}  # fmt: skip
PROFILES["paper"] = PROFILES["full"]  # the paper scale is notebook 04 with real models; here the same as full
if profile not in PROFILES:
    raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
preset = PROFILES[profile]
given = {name: globals()[name] for name in preset}
for name, value in given.items():  # a value passed explicitly (papermill -p) wins over the profile
    if value is None:
        globals()[name] = preset[name]
chosen = {name: globals()[name] for name in preset}
print(f"profile {profile}: " + ", ".join(f"{k}={v}" + ("" if given[k] is None else " (given)")
                                          for k, v in chosen.items()))  # fmt: skip

results_root = Path(results_dir) if results_dir else root / "results" / "notebook02"
run = results_root / profile
world_dir = run / "world"
train_dir, heldout_dir = world_dir / "train", world_dir / "labelled"
base_out, sf2t_out, data_dir = run / "base", run / "sf2t", run / "data"
for folder in (world_dir, base_out, sf2t_out, data_dir):  # this notebook's own folders: every run starts fresh
    if folder.exists():
        shutil.rmtree(folder)
timings = {}
t_start = time.perf_counter()
print(f"outputs under {run}")

# %% [markdown]
# ## The worlds
#
# Two folders of procedural videos (`sf2t.world`): the **train** split (what the base is captioned on and
# what SF²T builds its unlabelled tasks from) and the **labelled** split (held out: the base's competence and
# the before/after comparison). Each split owns a disjoint range of video seeds; `check_disjoint` verifies
# that no video occurs in both. The benchmark split is never touched here. The world is the easy one of
# notebook 04's profiles: plain backgrounds, small frames, all twelve actions.

# %%
t0 = time.perf_counter()
world_config = world.WorldConfig(width=world_size, height=world_size, num_frames=world_frames, backgrounds=("plain",))
train_truths = world.generate(train_dir, n_train_videos, "train", seed=world_seed, config=world_config, progress=False)
heldout_truths = world.generate(heldout_dir, n_heldout_videos, "labelled", seed=world_seed, config=world_config,
                                progress=False)  # fmt: skip
counts = world.check_disjoint(train_dir, heldout_dir)
timings["worlds"] = time.perf_counter() - t0
print(f"disjoint: {counts} ({timings['worlds']:.1f} s)")
print("train actions:", dict(sorted(Counter(t["action"] for t in train_truths).items())))

fig, axes = plt.subplots(2, 8, figsize=(13, 3.6))
example = train_truths[0]
frames = materialize({"video": example["video"], "frames": {"indices": list(range(0, world_frames, 2)),
                                                             "transform": None}}, train_dir)  # fmt: skip
for k, ax in enumerate(axes[0]):
    ax.imshow(frames[k])
    ax.set_title(f"t={2 * k}", fontsize=8)
    ax.axis("off")
for truth, ax in zip(train_truths[1:9], axes[1], strict=False):
    ax.imshow(materialize({"video": truth["video"], "frames": {"indices": [world_frames // 2], "transform": None}},
                          train_dir)[0])  # fmt: skip
    ax.set_title(truth["action"], fontsize=8)
    ax.axis("off")
axes[0, 0].text(-0.1, 0.5, example["action"], transform=axes[0, 0].transAxes, ha="right", va="center", fontsize=9)
fig.suptitle("Top: one training video (every second frame). Bottom: the middle frame of eight others, by action",
             fontsize=10)  # fmt: skip
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The base model
#
# `caption_stages` writes two kinds of coarse four-option questions about the training videos
# (`sf2t.world.captions`): *which object is in the video* and *roughly what happens* (moves, turns, changes
# size, changes colour, appears or disappears). `pretrain_base` builds a tiny random `family` model and
# trains **all** of it (vision tower included) on those records; training never reads the world itself.
# `competence` is the cloze accuracy on the same kinds of questions about the held-out videos.
# Chance is 25%. A base near chance does not know the world, and then nothing after it means much: the
# verdicts below are computed from the numbers (more than two standard errors above chance, or not).

# %%


def verdict(accuracy, reference, n, name="chance"):
    """Whether an accuracy on n questions is distinguishable from a reference level (2 standard errors)."""
    se = (reference * (1 - reference) / max(n, 1)) ** 0.5 or 1 / max(n, 1)
    if accuracy > reference + 2 * se:
        return f"above {name} (by {(accuracy - reference) / se:.1f} SE)"
    if accuracy < reference - 2 * se:
        return f"below {name} (by {(reference - accuracy) / se:.1f} SE)"
    return f"not distinguishable from {name}"


def rolling(values, window):
    """Trailing mean over `window` points (shorter at the start), to read a noisy per-step loss."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    lo = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[lo]) / (np.arange(1, len(values) + 1) - lo)


t0 = time.perf_counter()
stages = caption_stages(train_dir, base_out, kinds=("object", "happening"), steps=base_steps, num_frames=8, seed=seed,
                        answer_form="text")  # fmt: skip
base = pretrain_base(
    family, stages, base_out, model_size=dict(base_model_size), batch_size=base_batch_size, lr=base_lr,
    warmup_steps=min(20, base_steps // 5), seed=seed, progress=False,
)  # fmt: skip
base_competence = competence(base.model_dir, heldout_dir, kinds=("object", "happening"), num_frames=8, seed=seed,
                             scoring="cloze")  # fmt: skip
timings["base"] = time.perf_counter() - t0
base_dir = base.model_dir
print(f"base trained in {timings['base']:.0f} s -> {base_dir}")
print(f"{'question kind':20s} {'accuracy':>9s} {'chance':>7s} {'n':>4s}  verdict")
for kind, row in base_competence.items():
    print(f"{kind:20s} {row['accuracy']:9.3f} {row['chance']:7.2f} {row['n']:4d}  "
          f"{verdict(row['accuracy'], row['chance'], row['n'])}")  # fmt: skip

# %%
steps = [r["step"] for r in base.curve]
losses = [r["loss"] for r in base.curve]
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(steps, losses, color="0.75", lw=0.8, label="per step")
ax.plot(steps, rolling(losses, max(1, len(losses) // 15)), color="tab:blue", label="trailing mean")
ax.set(xlabel="optimizer step", ylabel="loss (answer tokens)", yscale="log",
       title=f"Base: coarse captions, {family}, {base_steps} steps of {base_batch_size}")  # fmt: skip
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The loss first falls fast while the model learns the *format* (the answer's words, then the end of
# the turn) and then, more slowly or not at all, the content. Only the held-out accuracy above says
# whether it learned the content.

# %% [markdown]
# ## SF²T data: fragment tasks from unlabelled videos
#
# `generate_samples` draws the five fragment tasks in the mixture's exact ratios from the training videos'
# pixels alone (it never reads their ground truth). One model property enters the data: Qwen2-VL merges
# frames in pairs (`temporal_merge` = 2), so a counting question counts the frames the model actually
# receives. It comes from the model adapter. The same tasks built from the held-out videos give a
# held-out loss during training and the before/after comparison.

# %%
t0 = time.perf_counter()
temporal_merge = load(base_dir).temporal_merge
mixture = Mixture.from_spec(sf2t_mix, temporal_merge=temporal_merge)
train_records, train_summary = generate_samples(train_dir, sf2t_samples, seed, mixture, frames_per_clip=world_frames,
                                                answer_form="text")  # fmt: skip
heldout_records, heldout_summary = generate_samples(heldout_dir, heldout_samples, seed + 1, mixture,
                                                    frames_per_clip=world_frames, answer_form="text")  # fmt: skip
sf2t_file, heldout_file = data_dir / "sf2t_train.jsonl", data_dir / "sf2t_heldout.jsonl"
write_jsonl(sf2t_file, train_records)
write_jsonl(heldout_file, heldout_records)
timings["samples"] = time.perf_counter() - t0
print(f"temporal_merge of {family}: {temporal_merge}")
print("train:  ", train_summary.line())
print("held out:", heldout_summary.line())
planned = mixture.counts(sf2t_samples)
print(f"\n{'task':15s} {'ratio':>6s} {'planned':>8s} {'written':>8s} {'held out':>9s} {'frames':>8s}")
for task in mixture.tasks:
    lengths = sorted({len(r["frames"]["indices"]) for r in train_records if r["task"] == task})
    print(f"{task:15s} {mixture.ratios[task]:6.2f} {planned[task]:8d} {train_summary.written[task]:8d} "
          f"{heldout_summary.written[task]:9d} {lengths[0]:>4d}-{lengths[-1]:<3d}")  # fmt: skip

# %% [markdown]
# ## SF²T fine-tuning
#
# `finetune` trains the base on the fragment-task mixture: in full (`sf2t_mode = "full"`, the default here,
# every weight including the vision tower, into a new model folder; the base on disk is unchanged) or as a
# LoRA adapter on the language model's attention (`"lora"`). Every `eval_every` steps the run also records the
# loss on a fixed draw of the held-out fragment samples.
#
# The loss curve is the loss of each step's mixed batch: the training loop records one number per step,
# not one per task, so the per-task picture comes from the accuracies in the next section.

# %%
t0 = time.perf_counter()
eval_every = max(1, sf2t_steps // 10)
mode_settings = {"train_vision": True} if sf2t_mode == "full" else {"lora_rank": lora_rank, "lora_alpha": 2 * lora_rank}
sf2t_run = finetune(
    base_dir, [DataSource(path=str(sf2t_file), root=str(train_dir), name="sf2t")], sf2t_out, mode=sf2t_mode,
    steps=sf2t_steps, batch_size=sf2t_batch_size, lr=sf2t_lr, warmup_steps=min(10, sf2t_steps // 5),
    seed=seed, progress=False, eval_data=[DataSource(path=str(heldout_file), root=str(heldout_dir), name="heldout")],
    eval_every=eval_every, eval_samples=min(64, len(heldout_records)), **mode_settings,
)  # fmt: skip
timings["sf2t"] = time.perf_counter() - t0
# the model after SF²T: a whole model folder (full) or the base with an adapter (LoRA, evaluated unmerged)
tuned = {"model_dir": sf2t_run.model_dir}
if sf2t_mode == "lora":
    tuned = {"model_dir": base_dir, "adapter": sf2t_run.model_dir}
print(f"SF²T trained in {timings['sf2t']:.0f} s ({sf2t_run.samples_per_s:.1f} samples/s) -> {sf2t_run.model_dir}")
print(f"trainable parameters: {sf2t_run.trainable}")

# %%
curve = sf2t_run.curve
steps = [r["step"] for r in curve]
losses = [r["loss"] for r in curve]
evals = [(r["step"], r["eval_loss"]) for r in curve if r.get("eval_loss") is not None]
fig, axes = plt.subplots(1, 2, figsize=(13, 3.4))
ax = axes[0]
ax.plot([r["step"] for r in base.curve], [r["loss"] for r in base.curve], color="tab:blue", lw=0.8)
ax.set(xlabel="optimizer step", ylabel="loss", yscale="log", title="1. Base on coarse captions (full model)")
ax = axes[1]
ax.plot(steps, losses, color="0.75", lw=0.8, label="train, per step (mixed tasks)")
ax.plot(steps, rolling(losses, max(1, len(losses) // 10)), color="tab:orange", label="train, trailing mean")
if evals:
    ax.plot(*zip(*evals, strict=True), "o-", color="tab:green", ms=4, label="held-out fragment samples")
ax.set(xlabel="optimizer step", ylabel="loss", title=f"2. SF²T on fragment tasks ({sf2t_mode} fine-tuning)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
if evals:
    print(f"held-out fragment loss: {evals[0][1]:.3f} at step {evals[0][0]} -> {evals[-1][1]:.3f} at step "
          f"{evals[-1][0]}")  # fmt: skip

# %% [markdown]
# ## Before and after
#
# The same held-out fragment questions (built from labelled-split videos neither stage trained on), scored
# by the base and by the model after SF²T. Cloze scoring asks the question alone and scores each option's
# words as the answer (`VideoLLM.option_scores`); the best log-probability per character wins. The bars are
# those per-character probabilities renormalised over the options; the correct option is marked ✓.

# %%
before = load(base_dir)
after = load(tuned["model_dir"], adapter=tuned.get("adapter"))
shown, seen_tasks = [], set()
for record in heldout_records:  # one per task first, then more while n_examples allows
    if record["task"] not in seen_tasks:
        shown.append(record)
        seen_tasks.add(record["task"])
shown = (shown + [r for r in heldout_records if r not in shown])[:n_examples]


def scores_of(llm, records):
    """Per record, each option's log-probability per character, renormalised over the options."""
    frames = [materialize(r, heldout_dir) for r in records]
    scored = llm.option_scores(frames, [r["question"] for r in records], [r["options"] for r in records],
                               numbered=[bool(r["numbered"]) for r in records])  # fmt: skip
    out = []
    for r, per_option in zip(records, scored, strict=True):
        per_char = np.array([lp / max(len(o), 1) for (lp, _), o in zip(per_option, r["options"], strict=True)])
        out.append(per_char - np.log(np.exp(per_char).sum()))
    return out


scores_before, scores_after = scores_of(before, shown), scores_of(after, shown)
MAX_FRAMES = 8
height = 2.2 * len(shown) + 0.6
fig = plt.figure(figsize=(16, height))
grid = fig.add_gridspec(len(shown), MAX_FRAMES + 2, width_ratios=[1] * MAX_FRAMES + [3.8, 2.4], hspace=0.45,
                        wspace=0.12, top=1 - 0.5 / height, bottom=0.03, left=0.01, right=0.99)  # fmt: skip
for row, (record, s_before, s_after) in enumerate(zip(shown, scores_before, scores_after, strict=True)):
    frames = materialize(record, heldout_dir)
    picks = np.linspace(0, len(frames) - 1, min(MAX_FRAMES, len(frames))).round().astype(int)
    for col, k in enumerate(picks):
        ax = fig.add_subplot(grid[row, col])
        ax.imshow(frames[k])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"Frame {k + 1}" if record["numbered"] else f"{k + 1}/{len(frames)}", fontsize=7, pad=2)
    text = fig.add_subplot(grid[row, MAX_FRAMES])
    text.axis("off")
    right = correct_option(record)
    options = "\n".join(f"{LETTERS[i]}. {o}" + ("  ✓" if i == right else "")
                        for i, o in enumerate(record["options"]))  # fmt: skip
    text.text(0.02, 1.0, f"[{record['task']}] " + textwrap.fill(record["question"], 54) + "\n" + options,
              fontsize=7.5, va="top")  # fmt: skip
    bars = fig.add_subplot(grid[row, MAX_FRAMES + 1])
    x = np.arange(len(record["options"]))
    bars.bar(x - 0.2, np.exp(s_before), 0.4, color="tab:blue", label="base")
    bars.bar(x + 0.2, np.exp(s_after), 0.4, color="tab:orange", label="base + SF²T")
    bars.set_xticks(x, [LETTERS[i] + (" ✓" if i == right else "") for i in x], fontsize=8)
    bars.set_ylim(0, 1)
    bars.tick_params(axis="y", labelsize=7)
    if row == 0:
        bars.legend(fontsize=7, loc="upper right")
fig.suptitle("Held-out fragment questions: option scores (cloze, per character) before and after SF²T (✓ correct)",
             y=0.995)  # fmt: skip
plt.show()

for record, s_before, s_after in zip(shown, scores_before, scores_after, strict=True):
    pick_b, pick_a = record["options"][int(np.argmax(s_before))], record["options"][int(np.argmax(s_after))]
    print(f"{record['id']:22s} answer {record['options'][correct_option(record)]!r}  base {pick_b!r} "
          f"(p={np.exp(s_before.max()):.2f})  SF²T {pick_a!r} (p={np.exp(s_after.max()):.2f})")  # fmt: skip

# %% [markdown]
# Free-text greedy answers to the first question (what `generate` returns after the question alone: a model
# trained in text form answers in words):

# %%
first = shown[0]
frames = materialize(first, heldout_dir)
prompt = first["question"]
for name, llm in (("base", before), ("base + SF²T", after)):
    print(f"{name:12s} -> {llm.generate(frames, prompt, max_new_tokens=6, numbered=bool(first['numbered']))!r}")

# %% [markdown]
# ### Accuracy per task on all held-out fragment samples
#
# `record_accuracy` (cloze scoring per task, as in the base's competence measure) scores every held-out
# sample, before and after.
# With these small counts a difference needs to be well over two standard errors to be more than noise;
# the verdict column says which it is (an unpaired bound, so a conservative one). Two references: *chance*
# (one over the number of options) and the *best constant answer* (the share of the most frequent correct
# option text among these samples). They differ where a class is common by construction: half the
# consistency pairs show the same frame twice, so always answering "identical" scores near 50% there.
# "After SF²T" is judged against the higher of the two.

# %%
t0 = time.perf_counter()
acc_before = record_accuracy(base_dir, heldout_records, heldout_dir, batch_size=8, scoring="cloze")
acc_after = record_accuracy(tuned["model_dir"], heldout_records, heldout_dir, batch_size=8,
                            adapter=tuned.get("adapter"), scoring="cloze")  # fmt: skip
timings["evaluation"] = time.perf_counter() - t0


def difference_verdict(a, b, n):
    """The change from a to b in (unpaired) standard errors; within 2 SE it is noise at this n."""
    if a == b:
        return "no change"
    se = (a * (1 - a) / n + b * (1 - b) / n) ** 0.5 or 1 / n
    z = (b - a) / se
    return f"{'up' if z > 0 else 'down'} by {abs(z):.1f} SE" + ("" if abs(z) > 2 else " (noise)")


def best_constant(task):
    """Share of the most frequent correct option text: what one fixed answer would score on these samples."""
    answers = Counter(r["options"][correct_option(r)] for r in heldout_records if r["task"] == task)
    return max(answers.values()) / sum(answers.values())


def reference_name(chance, const):
    return "chance" if chance >= const else "the best constant answer"


rows = []
print(f"{'task':15s} {'n':>4s} {'chance':>7s} {'const':>6s} {'base':>6s} {'SF²T':>6s} {'diff':>7s}  verdict")
for task in mixture.tasks:
    if task not in acc_before:
        continue
    b, a = acc_before[task], acc_after[task]
    const = best_constant(task)
    rows.append({"task": task, "n": b["n"], "chance": b["chance"], "const": const, "base": b["accuracy"],
                 "sf2t": a["accuracy"]})  # fmt: skip
    print(f"{task:15s} {b['n']:4d} {b['chance']:7.2f} {const:6.2f} {b['accuracy']:6.2f} {a['accuracy']:6.2f} "
          f"{a['accuracy'] - b['accuracy']:+7.2f}  {difference_verdict(b['accuracy'], a['accuracy'], b['n'])}; "
          f"after SF²T {verdict(a['accuracy'], max(a['chance'], const), a['n'], reference_name(a['chance'], const))}")
n_all = sum(r["n"] for r in rows)
overall = {k: sum(r[k] * r["n"] for r in rows) / n_all for k in ("chance", "const", "base", "sf2t")}
print(f"{'all':15s} {n_all:4d} {overall['chance']:7.2f} {overall['const']:6.2f} {overall['base']:6.2f} "
      f"{overall['sf2t']:6.2f} {overall['sf2t'] - overall['base']:+7.2f}  "
      f"{difference_verdict(overall['base'], overall['sf2t'], n_all)}")  # fmt: skip

fig, ax = plt.subplots(figsize=(9, 3.4))
x = np.arange(len(rows))
ax.bar(x - 0.2, [r["base"] for r in rows], 0.4, color="tab:blue", label="base")
ax.bar(x + 0.2, [r["sf2t"] for r in rows], 0.4, color="tab:orange", label="base + SF²T")
for k, r in enumerate(rows):
    ax.hlines(r["chance"], k - 0.45, k + 0.45, color="k", ls="--", lw=1, label="chance" if k == 0 else None)
    ax.hlines(r["const"], k - 0.45, k + 0.45, color="tab:red", ls=":", lw=1.5,
              label="best constant answer" if k == 0 else None)  # fmt: skip
ax.set_xticks(x, [f"{r['task']}\n(n={r['n']})" for r in rows])
ax.set(ylabel="accuracy", ylim=(0, 1), title="Held-out fragment tasks, cloze scoring")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What this run shows
#
# Read the verdicts above, not the bars alone. A held-out loss that falls while accuracy stays at chance
# means the model learned answer *priors* (the format, how often each answer is right), not the frames.
# At the `quick` profile both stages take seconds and every number is noise (eight held-out videos, twenty
# steps each). At `mini` the base sees a few thousand coarse questions; whether it clears chance on
# held-out videos, and whether the SF²T adapter then answers held-out fragment questions better than the
# base, is printed above for this run and seed. Fragment-task accuracy measures what SF²T trains on
# (held-out videos, same task construction); whether that transfers to fine-grained questions about the
# videos' content is the question FineVidBench-mini asks in notebook 04.

# %%
timings["total"] = time.perf_counter() - t_start
summary = {
    "profile": profile,
    "family": family,
    "parameters": {**chosen, "base_lr": base_lr, "sf2t_lr": sf2t_lr, "sf2t_mode": sf2t_mode, "seed": seed,
                   "world_seed": world_seed, "sf2t_mix": sf2t_mix, "torch_threads": torch_threads},
    "base_competence": base_competence,
    "sf2t_final_loss": sf2t_run.final_loss,
    "heldout_eval_loss": evals,
    "heldout_accuracy": {"base": acc_before, "sf2t": acc_after},
    "timings_s": {k: round(v, 1) for k, v in timings.items()},
}  # fmt: skip
(run / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
print("timings (s):", summary["timings_s"])
print(f"summary -> {run / 'summary.json'}")
