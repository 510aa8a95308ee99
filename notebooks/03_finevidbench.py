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
# # 03 · FineVidBench-mini
#
# The paper evaluates Video-LLMs on **FineVidBench** (910 videos, 22,718 questions, about 25 per video)
# at two levels: **scene** level (what happens, with what effect, how fast) and **fragment** level (the
# properties of a sequence of frames). Its videos and questions are not released, and the category names
# below are our reconstruction (see `docs/method.md` §3), so this notebook builds **FineVidBench-mini** from the
# held-out split of our synthetic world (`sf2t.bench.build`), where every answer is computed from ground truth:
#
# | level | category | what is asked (our design) |
# |---|---|---|
# | scene | Action | what happens to a named object (frame-count and playback-speed variants) |
# | scene | Effect | its end state: where it ends up, its size, its colour |
# | scene | Speed | how fast it changes; at what playback speed (0.5×–4×) the frames are shown |
# | fragment | Frame Count | how many frames are shown (even counts 2–16) |
# | fragment | Meaning of Order | the same frames in order or reversed: what they depict |
# | fragment | Frame Comparison | two frames: what is different about the object |
# | fragment | Adjust or Not | are the frames in the correct order (swapped, segment-reversed, shuffled)? |
# | fragment | Rearrangement | which order of the numbered frames restores the clip |
#
# Distractors come from the same category's vocabulary (never a copy of the answer), answer letters are
# balanced per category, and a reversed clip is never offered as "wrong" where a reversal is itself a
# coherent clip. Scoring (`sf2t.evaluate`) reads the option letters' log-probabilities at the answer
# position; every report carries three baselines: random guessing, the majority letter per category and a
# *blind* run of the same model on black frames (questions it answers blind are text shortcuts).

# %% tags=["parameters"]
repo_root = None  # the sf2t checkout (None: found from the working directory, else from the installed sf2t)
results_dir = None  # None: <repo>/results (the reproduce test points it at a temporary folder)
paper_dir = None  # the paper folder (reproduce passes paper/); None: results/scratch/03_finevidbench/
profile = "mini"  # quick | mini | full | paper (set by `nox -s reproduce`)
n_videos = None  # None: the profile's value (mini: 120 videos, the paper's 25 questions per video)
questions_per_video = None
models = None  # None: the profile's tiny models; or e.g. ["tiny:qwen2_vl", "results/train/base/qwen2_vl"]
eval_per_category = None  # questions per category the models answer (None: the profile's value; 0: all)
seed = 0
torch_threads = 1  # tiny models run several times faster on one thread than on two (measured)
size = 112  # frame width and height of the world (pixels)
num_frames = 32
work_dir = None  # world and bench files (None: results/cache/finevidbench/<profile>)

# %%
import importlib.util
import json
import sys
import time
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

try:  # torch must be loaded before decord (the other order crashes torch's forward pass)
    import torch

    torch.set_num_threads(torch_threads)
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sf2t import world  # noqa: E402
from sf2t.bench import CATEGORIES, LEVEL_OF, bench_stats, format_rows, spread_subset  # noqa: E402
from sf2t.bench.build import build_mini  # noqa: E402
from sf2t.evaluate import (  # noqa: E402
    evaluate,
    items_sha256,
    load_model,
    majority_baseline,
    random_baseline,
    summary_rows,
)
from sf2t.report import paper_root, save_figure, write_table  # noqa: E402
from sf2t.video.transforms import materialize  # noqa: E402

PROFILES = {
    "quick": {"n_videos": 12, "questions_per_video": 10, "models": ["tiny:qwen2_vl"], "eval_per_category": 4},
    "mini": {"n_videos": 120, "questions_per_video": 25, "models": ["tiny:qwen2_vl", "tiny:llava_onevision"],
             "eval_per_category": 40},
    "full": {"n_videos": 120, "questions_per_video": 25,
             "models": ["tiny:qwen2_vl", "tiny:qwen2_5_vl", "tiny:llava_onevision", "tiny:llava_next_video"],
             "eval_per_category": 0},
    "paper": {"n_videos": 910, "questions_per_video": 25,
              "models": ["tiny:qwen2_vl", "tiny:qwen2_5_vl", "tiny:llava_onevision", "tiny:llava_next_video"],
              "eval_per_category": 0},
}
if profile not in PROFILES:
    raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
P = PROFILES[profile]
n_videos = n_videos or P["n_videos"]
questions_per_video = questions_per_video or P["questions_per_video"]
models = P["models"] if models is None else list(models)
eval_per_category = P["eval_per_category"] if eval_per_category is None else eval_per_category
results_root = Path(results_dir) if results_dir else root / "results"
paper_out = paper_root(root, profile, paper_dir, "03_finevidbench")
work = Path(work_dir) if work_dir else results_root / "cache" / "finevidbench" / profile
runs = results_root / "finevidbench" / profile
tables, figures = paper_out / "tables", paper_out / "figures"
print(f"profile {profile}: {n_videos} videos x {questions_per_video} questions; models {models}")

# %% [markdown]
# ## Build the benchmark
#
# The world's **bench** split has its own seed range, disjoint from the training and SFT-labelled
# videos (`world.SPLITS`); the builder refuses any other split.

# %%
t0 = time.perf_counter()
config = world.WorldConfig(width=size, height=size, num_frames=num_frames)
world.generate(work / "world", n_videos, "bench", seed=seed, config=config, progress=False)
built = build_mini(work / "world", work / "bench", n_videos=n_videos, questions_per_video=questions_per_video,
                   seed=seed)
items = built.items
print(f"{len(items)} questions on {len({it['video'] for it in items})} videos "
      f"in {time.perf_counter() - t0:.1f} s -> {built.path}")

# %% [markdown]
# ## Statistics
#
# The paper's proportion is about 25 questions per video. Categories differ in how many videos they can
# use: speed questions need an action with a pace, Meaning of Order a reversible action, Adjust or Not and
# Rearrangement a change that is monotonic over the frames (so that any other order is visibly wrong).

# %%
stats = bench_stats(items)
print(format_rows(stats))
write_table(stats, tables / "finevidbench_stats",
            caption=f"FineVidBench-mini ({profile} profile): videos and questions per level and category "
                    "(our synthetic reconstruction; the paper's benchmark has 910 videos and 22,718 questions).",
            source="notebooks/03_finevidbench.py (sf2t.bench.bench_stats)")

# %% [markdown]
# ## One example per category
#
# Each strip shows the frames exactly as the model receives them (the item's frame indices, in
# presentation order); numbered questions refer to frames by these numbers. The correct option is marked.

# %%
MAX_SHOWN = 8


def example_of(category):
    group = [it for it in items if it["category"] == category]
    return group[len(group) // 2]


fig = plt.figure(figsize=(15, 2.1 * (len(CATEGORIES) + 2)))
grid = fig.add_gridspec(len(CATEGORIES) + 2, MAX_SHOWN + 4, hspace=0.9, wspace=0.08)
ax = fig.add_subplot(grid[0:2, 1:MAX_SHOWN + 3])
rows = [r for r in stats if r["category"] in CATEGORIES]
colours = {"scene": "#4C72B0", "fragment": "#DD8452"}
ax.barh([r["category"] for r in rows][::-1], [r["questions"] for r in rows][::-1],
        color=[colours[r["level"]] for r in rows][::-1])
for k, r in enumerate(rows[::-1]):
    ax.text(r["questions"], k, f" {r['questions']} q · {r['videos']} videos", va="center", fontsize=8)
ax.set_xlabel("questions")
ax.set_title(f"FineVidBench-mini: {len(items)} questions on {stats[-1]['videos']} videos "
             "(blue: scene level, orange: fragment level)", fontsize=10)
ax.spines[["top", "right"]].set_visible(False)
for row, category in enumerate(CATEGORIES, start=2):
    item = example_of(category)
    frames = materialize(item, built.path.parent)
    shown = np.linspace(0, len(frames) - 1, min(MAX_SHOWN, len(frames))).round().astype(int)
    for col, k in enumerate(shown):
        a = fig.add_subplot(grid[row, col])
        a.imshow(frames[k])
        a.set_xticks([])
        a.set_yticks([])
        label = f"{k + 1}" if item.get("numbered") else f"#{item['frames']['indices'][k]}"
        a.set_title(label, fontsize=7, pad=2)
    answer = item["options"][ord(item["answer"]) - 65]
    options = "   ".join(f"{'✔ ' if o == answer else ''}{chr(65 + i)}. {o}" for i, o in enumerate(item["options"]))
    f = item["frames"]
    variant = f"{len(frames)} frames, order {f['order']}" + (f", speed {f['speed']:g}×" if f["speed"] else "")
    text = fig.add_subplot(grid[row, MAX_SHOWN:])
    text.axis("off")
    text.text(0.02, 0.5, f"{LEVEL_OF[category]} · {category}\n{variant}", fontsize=8, va="center", weight="bold")
    fig.text(0.125, text.get_position().y0 - 0.012, f"Q: {item['question']}   {options}", fontsize=7.5)
save_figure(fig, figures / "finevidbench_overview")
plt.show()

# %% [markdown]
# ## Baselines without a model
#
# *Random* is the expected accuracy of guessing; *majority* always answers the most frequent letter of
# the category, computed on the items themselves (an upper bound on any fixed letter preference). With
# balanced letters both sit at chance: 1/4 for four options, 1/2 for Adjust or Not and the pace questions.

# %%
rnd, maj = random_baseline(items), majority_baseline(items)
print(format_rows([{"category": c, "questions": sum(it["category"] == c for it in items),
                    "random": rnd["categories"][c], "majority": maj["categories"][c],
                    "majority letter": maj["letters"][c]} for c in CATEGORIES]))

# %% [markdown]
# ## Tiny models
#
# By default the models are tiny *random* instances of real Video-LLM families (`sf2t.models.tiny`): they
# should sit at chance, and their blind runs with them, which checks the benchmark rather than a model.
# The trained tiny bases (`results/bases/<profile>/`) know a different, easier world (64² frames, one
# object), so they are evaluated on the experiment's own FineVidBench-mini in notebook 04 (setting
# `base`, with their blind runs). Pass any other checkpoint (or a LoRA adapter folder through
# `sf2t evaluate --adapter`) via the `models` parameter.
# Each run writes `items.jsonl` (one record per question, with the exact frame indices the model saw)
# and `aggregate.json` (accuracy per level and category with bootstrap 95% intervals, and the config
# with its paths relative to the run folder) under `results/finevidbench/<profile>/<model>-<items hash>/`,
# and resumes where it stopped. The git commit and the timestamps go to `provenance.json` beside them
# (git-ignored: they change every run, the committed files do not).

# %%
eval_items = spread_subset(items, eval_per_category) if eval_per_category else items
print(f"evaluating {len(eval_items)} questions ({eval_per_category or 'all'} per category)")
aggregates = {}
if not HAVE_TORCH:
    print("torch is not installed: skipping the model evaluations")
else:
    for spec in models:
        t0 = time.perf_counter()
        model = load_model(spec, seed=seed)
        name = spec.replace(":", "_").replace("/", "_") + "-" + items_sha256(eval_items)[:8]  # one folder per item set
        aggregates[spec] = evaluate(model, eval_items, built.path.parent, runs / name, batch_size=8,
                                    model_name=spec, progress=False,
                                    extra_config={"profile": profile, "bench": built.path})  # a Path: recorded relative
        o = aggregates[spec]["overall"]
        print(f"{spec}: accuracy {o['accuracy']:.3f} (95% CI {o['ci95'][0]:.3f}-{o['ci95'][1]:.3f}), "
              f"blind {aggregates[spec]['baselines']['blind']['overall']['accuracy']:.3f}, "
              f"{time.perf_counter() - t0:.0f} s")

# %%
if aggregates:
    table = []
    for spec, agg in aggregates.items():
        for r in summary_rows(agg):
            table.append({"model": spec, "level": r["level"], "category": r["category"], "n": r["n"],
                          "accuracy": r["accuracy"], "blind": r["blind"], "random": r["random"],
                          "majority": r["majority"]})
    print(format_rows([{k: ("" if v is None else (round(v, 3) if isinstance(v, float) else v))
                        for k, v in r.items()} for r in table]))
    print(json.dumps({spec: agg["git"] for spec, agg in aggregates.items()}, indent=1))

# %% [markdown]
# ## What to read from this
#
# - The statistics table and overview figure are `paper/tables/finevidbench_stats.*` and
#   `paper/figures/finevidbench_overview.*`; they describe **our** benchmark, not the paper's.
# - Random tiny models score at chance in every category, and so do their blind runs: nothing in the
#   question text gives the answer away. A trained model that beats its own blind run uses the video.
# - The model comparison of the paper (base, SFT, SF²T, SFT+SF²T) runs in notebook 04 on a
#   FineVidBench-mini built by the same code from the experiment's own world.
