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
# # 04 · The experiment: base, SFT, SF²T and SFT+SF²T on FineVidBench-mini
#
# The paper (Hu et al., CVPR 2025) fine-tunes several Video-LLMs with SF²T, its self-supervised fragment
# tasks, and reports that SF²T improves them on FineVidBench and complements supervised fine-tuning (SFT).
# This notebook runs the **same design on our synthetic world** (docs/method.md §4), with every choice ours:
#
# 1. **Worlds**: base pretraining, training (unlabelled), labelled (SFT), held-out labelled (the base's
#    competence) and benchmark videos, from disjoint seed ranges (checked).
# 2. **A base per family**: a tiny random model of each Video-LLM family learns *coarse* captions of the
#    world (which object, roughly what happens), answering in words, on its own pretraining videos,
#    standing in for a pretrained Video-LLM. The bases are kept in `results/bases/<profile>/` (committed
#    for mini) and reused across code changes; `from_scratch=True` retrains them.
#    **Competence gate**: if a base (or an extra base seed, `base.check_seeds`) cannot answer those coarse
#    questions on held-out videos, every later number is meaningless, so the experiment stops here with a
#    message (thresholds in the profile).
# 3. **Five settings** per family and seed: *base*; *SFT* on a small labelled set of scene-level questions
#    (label-scarce, on labelled-split videos only); *SF²T* on fragment tasks built from unlabelled training
#    videos only; *SFT+SF²T*, one run on both (mixture ratio in the profile); and the **positive control**,
#    fine-tuned on FineVidBench-mini's own questions of all eight categories asked of labelled-split videos,
#    which shows which categories can register a learned skill at all. Mini fine-tunes the whole model
#    (LoRA learns none of SF²T's tasks at this scale: research/sf2t_recipe); every answer is in words.
# 4. **Leakage check**: no record of any training file (base captions, SFT, SF²T) names a benchmark video.
# 5. **Evaluation** of every model on the same FineVidBench-mini items, with the video and blind, by cloze
#    (the question alone, each option's words scored as the answer; per-character normalisation, chosen
#    before any result: OLMES's formulation for models far below a billion parameters; the records keep
#    every option's scores so every formulation, PMI included, is recomputed from them); SF²T's own five
#    tasks on **held-out task samples**; the **leave-one-task-out ablation** (full profile); and accuracy
#    against the **number of frames** and the **playback speed** (the benchmark's variants).
#
# Every knob (families, seeds, sizes, the base recipe per family, steps, the fine-tuning mode, the gate) is in one
# profile file, `configs/experiment/<profile>.json`; the orchestration is `sf2t.experiment`. Finished stages are
# reused when their inputs are unchanged (`sf2t.common.stage_cache`). Results go to
# `results/experiment/<profile>/`; notebook 05 turns them into `paper/`.

# %% tags=["parameters"]
repo_root = None  # the sf2t checkout (None: found from the working directory, else from the installed sf2t)
results_dir = None  # None: <repo>/results
paper_dir = None  # unused here: accepted so that every notebook takes the same parameters
profile = "mini"  # quick | mini | full | paper, or a path to a profile JSON file
overrides = {}  # dotted profile keys, e.g. {"base.default.steps": 600, "competence_gate.on_fail": "warn"}
workers = None  # None: the profile's value (parallel processes, one torch thread each)
from_scratch = False  # retrain the base models instead of reusing results/bases/<profile> (tens of minutes each)

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

import torch  # noqa: E402  (loaded before decord: the other order crashes torch)

from sf2t.experiment import CompetenceError, Paths, load_profile, plan_runs, run_experiment  # noqa: E402

results_root = Path(results_dir) if results_dir else root / "results"
P = load_profile(profile, {**dict(overrides), **({"workers": workers} if workers else {})})
torch.set_num_threads(P.torch_threads)
print(f"profile {P.name} ({P.source}): {P.note}")

# %% [markdown]
# ## The plan
#
# One base per family (one checkpoint, as a pretrained model is one thing), and one fine-tune per
# (family, setting, seed): the seed changes the data order, which SFT questions are
# drawn and which fragment-task samples are made.

# %%
runs = plan_runs(P)
for family in P.families:
    print(f"{family:18s} base recipe {json.dumps(P.base_recipe(family), sort_keys=True)}")
    print(f"{'':18s} seeds {P.seeds_for(family)}; runs {sum(r.family == family for r in runs)}")
print(f"ablation: {P.ablation}; {len(runs)} runs in all; competence gate {P.competence_gate['min_accuracy']} "
      f"(on fail: {P.competence_gate['on_fail']})")

# %% [markdown]
# ## Run it
#
# Stages already finished with the same inputs are reused; a changed input (a profile value, a video, a
# checkpoint) reruns that stage and everything after it. If a base falls short of the competence gate, the
# run stops here with the reason.

# %%
t0 = time.perf_counter()
try:
    summary = run_experiment(P, results_root, from_scratch=from_scratch)
except CompetenceError as exc:
    raise SystemExit(f"STOPPED at the competence gate.\n{exc}") from None
elapsed = time.perf_counter() - t0
paths = Paths.of(results_root, P)
print(f"done in {elapsed:.0f} s; results in {paths.results}")

# %% [markdown]
# ## What came out
#
# The base's competence on held-out coarse questions, and the overall accuracy of every setting (mean
# over seeds, 95% interval). Notebook 05 makes the paper's tables and figures from these files.

# %%
gate = summary["gate"]
for family, comp in gate["competence"].items():
    print(family, {k: {m: round(v[m], 3) for m in ("accuracy", "balanced_accuracy", "chance") if m in v}
                   for k, v in comp.items()})
print("competence gate", "passed" if gate["passed"] else "NOT passed", f"({gate['metric']} >= {gate['min_accuracy']})")
if not gate["passed"]:
    print("WARNING: a base is below the competence gate; these numbers only show that the pipeline runs.")
for row in summary["main"]:
    if row["level"] == "all":
        print(f"{row['family']:18s} {row['setting']:24s} {row['mean']:.3f} "
              f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}] ({row['n_seeds']} seed(s), {row['n_items']} items)")

# %%
for row in summary["comparisons"]:
    if row["level"] == "all":
        print(f"{row['family']:18s} {row['a']:9s} - {row['b']:5s}: {row['diff']:+.3f} "
              f"[{row['diff_ci_low']:+.3f}, {row['diff_ci_high']:+.3f}], p = {row['p_value']:.4f}")
leak = json.loads((paths.results / "leakage.json").read_text())
print(f"leakage: {sum(leak['records_checked_by_content'].values())} training records checked "
      f"({leak['training_videos_hashed']} videos, by content; synthetic ones also by seed), "
      f"{leak['leaks']} on bench videos")
