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
# # 05 · The paper's tables and figures, from our results
#
# This notebook reads **only** `results/experiment/<profile>/` (written by notebook 04) and the base models'
# loss curves under `results/bases/<profile>/`, and writes
# `paper/tables/` (CSV, Markdown, LaTeX) and `paper/figures/` (PDF, PNG) with `sf2t.report`. It imports no
# model, training or evaluation code, so every number in `paper/` is one our runs wrote. We do not know the
# paper's own values and never fill them in: each artifact reconstructs the *kind* of result the paper
# reports, on our synthetic world (see `paper/README.md`).
#
# | artifact | reconstructs |
# |---|---|
# | `tables/experiment_bench_stats` | the benchmark statistics (of the benchmark the experiment used) |
# | `tables/base_competence` | (ours) the competence gate: coarse-question accuracy of each base |
# | `figures/base_training` | (ours) the base models' loss curves on coarse captions, stage by stage |
# | `tables/main_results` | the main table: every family and setting, per level and category, mean ± 95% CI |
# | `tables/blind_control` | (ours) every model with the video and blind: what the video contributes |
# | `tables/sft_sf2t_comparison` | SFT vs SF²T vs SFT+SF²T, with paired tests of the differences |
# | `tables/ablation_leave_one_task_out` | the ablation of SF²T's five tasks |
# | `tables/positive_control` | (ours) per category: can the benchmark register a skill that was taught? |
# | `tables/sf2t_task_learning` | (ours) does SF²T learn its own five tasks, on held-out videos? |
# | `tables/video_vs_blind` | (ours) each model against its own blind run, paired, with the detectable effect |
# | `tables/scoring_formulations` | (ours) the same answers read by every cloze formulation and by PMI |
# | `tables/frame_count_control` | (ours) counting frames (input length tells) against counting different frames |
# | `figures/sf2t_per_category` | Figure 1: each family with and without SF²T, per category |
# | `figures/accuracy_vs_frames`, `figures/accuracy_vs_speed` | robustness to frame count and playback speed |

# %% tags=["parameters"]
repo_root = None  # the sf2t checkout (None: found from the working directory, else from the installed sf2t)
results_dir = None  # None: <repo>/results
paper_dir = None  # the paper folder (reproduce passes paper/); None: results/scratch/05_paper/
profile = "mini"  # which results/experiment/<profile>/ to report

# %%
import importlib.util
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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

from sf2t.report import (  # noqa: E402
    format_mean_ci,
    format_value,
    paper_root,
    read_json,
    read_loss_curves,
    save_figure,
    write_table,
)

results = (Path(results_dir) if results_dir else root / "results") / "experiment" / profile
paper = paper_root(root, profile, paper_dir, "05_paper")
tables, figures = paper / "tables", paper / "figures"
S = read_json(results / "summary.json")
stats = read_json(results / "bench_stats.json")
SOURCE = f"results/experiment/{profile}/summary.json (notebooks/04_experiments.py, profile {profile})"
SETTING_NAMES = {"base": "base", "sft": "SFT", "sf2t": "SF²T", "sft_sf2t": "SFT+SF²T", "control": "control"}
SCORING = S.get("scoring", {"mode": "letters"})
SCORED = ("cloze (the options' own words scored as the answer, per-character normalisation)"
          if SCORING["mode"] == "cloze" else "letter scoring")
CATEGORIES = [r["category"] for r in S["baselines"] if r["category"] != "all"]
warning = "" if S["gate"]["passed"] else (
    " SMOKE TEST ONLY: a base model is below the competence gate, so these numbers show that the pipeline "
    "runs and nothing about SF²T.")
print(f"profile {profile}: families {S['families']}, {S['n_items']} items per run.{warning}")


def pct(x):
    return None if x is None else 100 * x


def mean_ci(row):
    return format_mean_ci(pct(row["mean"]), pct(row["ci_low"]), pct(row["ci_high"]))


def setting_name(arm):
    return SETTING_NAMES.get(arm, arm.replace("sf2t-no_", "SF²T − "))


# %% [markdown]
# ## Benchmark statistics and the base's competence

# %%
rows = [{"level": r["level"], "category": r["category"], "videos": r["videos"], "questions (built)": r["questions"],
         "questions (evaluated)": e["questions"]}
        for r, e in zip(stats["built"], stats["evaluated"], strict=True)]
write_table(rows, tables / "experiment_bench_stats", source=SOURCE.replace("summary", "bench_stats"),
            caption=f"FineVidBench-mini as used by the experiment ({profile} profile): videos and questions per "
                    "level and category, built and evaluated per run (our synthetic reconstruction).")
gate = S["gate"]


def metric_of(kind):
    metric = gate.get("metric", "accuracy")
    return metric.get(kind) if isinstance(metric, dict) else metric


rows = []
for family, comp in gate["competence"].items():
    for kind, c in comp.items():
        rows.append({"family": family, "question kind": kind, "accuracy (%)": pct(c["accuracy"]),
                     "balanced accuracy (%)": pct(c.get("balanced_accuracy")), "chance (%)": pct(c["chance"]),
                     "majority class (%)": pct(c.get("majority_share")),
                     "95% CI from (%)": pct(c.get("ci95_low")),
                     "required (%)": pct(gate["min_accuracy"].get(kind)),
                     "gate metric": str(metric_of(kind) or "").replace("_", " ") if kind in gate["min_accuracy"]
                     else "",
                     "held-out questions": c["n"]})
write_table(rows, tables / "base_competence", source=SOURCE.replace("summary", "competence"),
            caption=f"Competence gate (ours): each base's accuracy ({SCORED}) on coarse questions about held-out "
                    "videos (balanced: the mean over answer classes); the experiment stops when a base is below "
                    f"the required value.{warning}")
print("\n".join(str(r) for r in rows))

# %% [markdown]
# How each base got there: the training loss on coarse captions (a moving average over 50 steps), one
# curve per family, a dotted line where a curriculum stage begins. A pretrained checkpoint (paper scale)
# has no curve here.

# %%
base_profile = read_json(results / "profile.json").get("bases") or profile  # a profile may borrow another's bases
bases = (Path(results_dir) if results_dir else root / "results") / "bases" / base_profile
curves = {f: read_loss_curves(sorted((bases / f).glob("stage-*"))) for f in S["families"]}
curves = {f: c for f, c in curves.items() if c}
if curves:
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for family, rows in curves.items():
        steps = np.array([r["step"] for r in rows])
        loss = np.array([r["loss"] for r in rows])
        k = min(50, len(loss))
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        line, = ax.plot(steps[k - 1:], smooth, label=family, lw=1.2)
        starts = {r["stage"]: r["step"] for r in reversed(rows)}  # the first step of each stage
        for stage, step in starts.items():
            if stage > 0:
                ax.axvline(step, color=line.get_color(), ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"loss (mean of {k} steps)")
    ax.set_title(f"Base models on coarse captions ({profile} profile){' — SMOKE TEST ONLY' if warning else ''}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, figures / "base_training")

# %% [markdown]
# ## The main table
#
# Accuracy (%) of every family and setting: overall, per level and per category, mean over fine-tuning seeds
# ± half the 95% interval (Student t over seeds; for a single run, the bootstrap over items).

# %%
groups = [("all", "all"), ("scene", "all"), ("fragment", "all")] + [
    (r["level"], r["category"]) for r in S["baselines"] if r["category"] != "all"]
cells = {(r["family"], r["setting"], r["level"], r["category"]): r for r in S["main"]}
main_rows = []
for family in S["families"]:
    for arm in S["settings"]:
        if (family, arm, "all", "all") not in cells:
            continue
        first = cells[(family, arm, "all", "all")]
        row = {"family": family, "setting": setting_name(arm), "seeds": first["n_seeds"]}
        for level, category in groups:
            label = "overall" if level == "all" else (level if category == "all" else category)
            cell = cells.get((family, arm, level, category))
            row[label] = mean_ci(cell) if cell else None
        main_rows.append(row)
base_row = {"family": "chance (random)", "setting": "", "seeds": None}
for r in S["baselines"]:
    label = "overall" if r["level"] == "all" else (r["level"] if r["category"] == "all" else r["category"])
    base_row[label] = format_value(pct(r["random"]))
main_rows.append(base_row)
print("\n".join(str(r) for r in main_rows))

# %% [markdown]
# ## The positive control: which categories can register a learned skill at all?
#
# The *control* arm is fine-tuned like every other arm, on FineVidBench-mini's own questions of all eight
# categories asked of labelled-split videos (never a benchmark video). A category where even the control stays
# at chance (no family's 95% interval above the random baseline) cannot register any learned skill at this
# scale: every table marks it "not measurable at mini scale" (†).

# %%
chance_of = {r["category"]: r["random"] for r in S["baselines"]}
measurable = {}
control_rows = []
for c in CATEGORIES:
    level = "scene" if c in ("Action", "Effect", "Speed") else "fragment"
    row = {"category": c, "chance (%)": pct(chance_of[c])}
    lifted = []
    for family in S["families"]:
        ctl, base = cells.get((family, "control", level, c)), cells.get((family, "base", level, c))
        row[f"{family} base"] = mean_ci(base) if base else None
        row[f"{family} control"] = mean_ci(ctl) if ctl else None
        if ctl:
            lifted.append(ctl["ci_low"] > chance_of[c])
    measurable[c] = any(lifted) if lifted else None
    row["measurable"] = {True: "yes", False: "no (†)", None: "no control run"}[measurable[c]]
    control_rows.append(row)
if any(v is not None for v in measurable.values()):
    write_table(control_rows, tables / "positive_control", source=SOURCE,
                caption="Positive control (ours): each family's base and its fine-tune on labelled questions of all "
                        "eight categories (labelled-split videos), accuracy (%) mean ± 95% CI. A category is "
                        "measurable when some family's control interval lies above chance; † marks those that are "
                        f"not measurable at mini scale.{warning}")
    print("\n".join(str(r) for r in control_rows))
unmeasurable = [c for c, ok in measurable.items() if ok is False]


def mark(category):
    return f"{category} †" if category in unmeasurable else category


# %%
main_rows = [{mark(k): v for k, v in r.items()} for r in main_rows]
write_table(main_rows, tables / "main_results", source=SOURCE,
            caption=f"Accuracy (%) on FineVidBench-mini, {S['n_items']} questions per run scored by {SCORED}, "
                    "mean ± 95% CI over fine-tuning seeds (one base per family). Our synthetic reconstruction of "
                    "the paper's main comparison; no value is the paper's."
                    + (" † not measurable at mini scale (the positive control stays at chance): "
                       + ", ".join(unmeasurable) + "." if unmeasurable else "") + warning)

# %% [markdown]
# ## What the video adds: every model blind
#
# Each model also answers every question with black frames instead of the video (the *blind* run, when the
# profile's `evaluation.blind_baseline` asks for it). Accuracy that survives without the video comes from
# the question and option text (a learned preference for an answer form, say), not from seeing; the gap
# between the two columns is what the video contributes.

# %%
blind = {(r["family"], r["setting"]): r for r in S.get("blind_means", [])}
blind_table = []
for family in S["families"]:
    for arm in S["settings"]:
        if (family, arm) not in blind or (family, arm, "all", "all") not in cells:
            continue
        b, row = blind[(family, arm)], {"family": family, "setting": setting_name(arm)}
        for level in ("all", "scene", "fragment"):
            label = "overall" if level == "all" else level
            row[f"{label} (video)"] = pct(cells[(family, arm, level, "all")]["mean"])
            row[f"{label} (blind)"] = pct(b["accuracy"] if level == "all" else b["levels"][level])
        row["seeds"] = b["n_seeds"]
        blind_table.append(row)
if blind_table:
    write_table(blind_table, tables / "blind_control", source=SOURCE,
                caption="Accuracy (%) with the video and blind (black frames), mean over fine-tuning seeds: the "
                        f"text-only control of every family and setting (ours).{warning}")
    print("\n".join(str(r) for r in blind_table))

# %% [markdown]
# The same comparison item by item: each model's accuracy with the video minus its accuracy blind, paired
# over the same questions (seeds averaged per item), with a bootstrap 95% interval, a sign-flip p-value and
# the minimum detectable effect (MDE: the smallest true difference this many items detect with 80% power at
# α = 0.05).

# %%
pair_rows = [{"family": r["family"], "setting": setting_name(r["setting"]), "level": r["level"],
              "video (%)": pct(r["video"]), "blind (%)": pct(r["blind"]),
              "Δ (pp) [95% CI]": f"{pct(r['diff']):+.1f} [{pct(r['diff_ci_low']):+.1f}, {pct(r['diff_ci_high']):+.1f}]",
              "p (sign flip)": format_value(r["p_value"], 4), "MDE (pp)": pct(r["mde"]),
              "items": r["n_items"], "seeds": r["n_seeds"]} for r in S.get("blind_pairs", [])]
if pair_rows:
    write_table(pair_rows, tables / "video_vs_blind", source=SOURCE,
                caption="Video against blind (black frames), paired item by item (ours): what the video adds, with "
                        f"its 95% interval, sign-flip p-value and minimum detectable effect (80% power).{warning}")

# %% [markdown]
# Frame Count asks how many frames are shown, and every family turns each frame count into a distinct input
# length, so it can be answered from the input's length alone: the blind run, with the same number of black
# frames, shows it. Its control asks how many *different* frames are shown when each of k visibly different
# frames is shown twice in a row: a model that counts inputs answers 2k (always one of the options).

# %%
fc_rows = [{"family": r["family"], "setting": setting_name(r["setting"]),
            "question": {"count": "how many frames", "distinct": "how many different frames (control)"}[r["variant"]],
            "video (%)": pct(r["video"]), "blind (%)": pct(r["blind"]), "items": r["n_items"], "seeds": r["n_seeds"]}
           for r in S.get("frame_count_control", [])]
if fc_rows:
    write_table(fc_rows, tables / "frame_count_control", source=SOURCE,
                caption="Frame Count and its control (ours): counting the frames shown, answerable from the input's "
                        "length, against counting the different frames when each is shown twice, with the video and "
                        f"blind, mean over seeds.{warning}")

# %% [markdown]
# ## SFT, SF²T and SFT+SF²T
#
# Each difference is paired item by item (and seed by seed where both arms have seeds): the mean difference
# in accuracy, its bootstrap 95% interval over items, and a two-sided sign-flip permutation p-value.
# "all families" pools the items of every family.

# %%
comp_rows = []
for r in S["comparisons"]:
    comp_rows.append({"family": r["family"], "level": r["level"],
                      "comparison": f"{setting_name(r['a'])} − {setting_name(r['b'])}",
                      "A (%)": pct(r["mean_a"]), "B (%)": pct(r["mean_b"]),
                      "Δ (pp) [95% CI]": f"{pct(r['diff']):+.1f} [{pct(r['diff_ci_low']):+.1f}, "
                                         f"{pct(r['diff_ci_high']):+.1f}]",
                      "p (sign flip)": format_value(r["p_value"], 4), "MDE (pp)": pct(r.get("mde")),
                      "items": r["n_items"], "seeds": ",".join(str(s) for s in r["n_seeds"])})
write_table(comp_rows, tables / "sft_sf2t_comparison", source=SOURCE,
            caption="SFT (few labels), SF²T (no labels), SFT+SF²T and the positive control against the base and each "
                    "other: paired differences in accuracy (percentage points) with sign-flip permutation tests and "
                    f"the minimum detectable effect (MDE, 80% power, α 0.05, paired).{warning}")
for r in comp_rows:
    if r["level"] == "all":
        print(r)

# %% [markdown]
# ## Leave-one-task-out ablation

# %%
abl_rows = []
for r in S["ablation"]:
    abl_rows.append({"family": r["family"], "setting": setting_name(r["setting"]), "level": r["level"],
                     "seeds": r["n_seeds"], "accuracy (%)": mean_ci(r),
                     "Δ vs full SF²T (pp)": None if "diff_vs_full" not in r else
                     f"{pct(r['diff_vs_full']):+.1f} [{pct(r['diff_ci_low']):+.1f}, {pct(r['diff_ci_high']):+.1f}]",
                     "p (sign flip)": None if "p_value" not in r else format_value(r["p_value"], 4),
                     "MDE (pp)": pct(r.get("mde"))})
if abl_rows:
    write_table(abl_rows, tables / "ablation_leave_one_task_out", source=SOURCE,
                caption="SF²T without one of its five fragment tasks, against SF²T with all five (same seeds, "
                        f"paired over items).{warning}")
    for r in abl_rows:
        if r["level"] == "all":
            print(r)
else:  # this profile has no ablation: an earlier run's table must not stay in paper/ as if it were this one's
    for suffix in (".csv", ".md", ".tex"):
        (tables / f"ablation_leave_one_task_out{suffix}").unlink(missing_ok=True)
    print("no leave-one-task-out ablation in this profile")

# %% [markdown]
# ## Does SF²T learn its own tasks?
#
# Fresh samples of the five fragment tasks, made from held-out videos that no run trains on, scored like the
# benchmark; the base before SF²T against the arms trained on SF²T's tasks, with chance (one over the options)
# and the blind run (black frames). A task where SF²T stays at chance here is one it did not learn.

# %%
task_rows = []
for r in S.get("tasks", []):
    task_rows.append({"family": r["family"], "setting": setting_name(r["setting"]), "task": r["task"],
                      "accuracy (%) [95% CI]": f"{pct(r['accuracy']):.1f} [{pct(r['ci_low']):.1f}, "
                                               f"{pct(r['ci_high']):.1f}]",
                      "chance (%)": pct(r["chance"]), "blind (%)": pct(r["blind"]), "items": r["n_items"],
                      "seeds": r["n_seeds"]})
if task_rows:
    write_table(task_rows, tables / "sf2t_task_learning", source=SOURCE,
                caption=f"SF²T's five fragment tasks on held-out videos, scored by {SCORED} (ours): accuracy (%) "
                        "with a 95% bootstrap interval over items, chance and the blind run, before (base) and after "
                        f"fine-tuning on the tasks.{warning}")
    print("\n".join(str(r) for r in task_rows))

# %% [markdown]
# ## One set of answers, every scoring formulation
#
# Under cloze scoring each record keeps every option's raw log-probability, token and character counts, with the
# video and blind, so the same answers are read by every formulation: the summed log-probability (none), per
# token, per character (the default, chosen before any result was seen: OLMES's cloze formulation for models
# far below a billion parameters), and PMI (with the video minus blind: the option the video makes likelier).

# %%
form_rows = [{"family": r["family"], "setting": setting_name(r["setting"]), "level": r["level"],
              **{k: pct(r.get(k)) for k in ("cloze_none", "cloze_token", "cloze_char", "pmi")},
              "seeds": r["n_seeds"]} for r in S.get("formulations", [])]
if form_rows:
    write_table(form_rows, tables / "scoring_formulations", source=SOURCE,
                caption="Accuracy (%) of the same per-item records under each cloze formulation and under PMI (ours), "
                        f"mean over seeds.{warning}")

# %% [markdown]
# ## Figure 1: each family with and without SF²T, per category

# %%
colours = {"base": "#9E9E9E", "sft": "#4C72B0", "sf2t": "#DD8452", "sft_sf2t": "#55A868", "control": "#8172B3"}
shown = [a for a in ("base", "sf2t") if a in S["settings"]]
fig, axes = plt.subplots(len(S["families"]), 1, figsize=(11, 2.4 * len(S["families"])), sharex=True, squeeze=False)
x = np.arange(len(CATEGORIES))
width = 0.8 / len(shown)
chance = [next(r["random"] for r in S["baselines"] if r["category"] == c) for c in CATEGORIES]
for ax, family in zip(axes[:, 0], S["families"], strict=True):
    for k, arm in enumerate(shown):
        cs = [cells.get((family, arm, "scene" if c in ("Action", "Effect", "Speed") else "fragment", c))
              for c in CATEGORIES]
        means = [pct(c["mean"]) if c else np.nan for c in cs]
        err = [[pct(c["mean"] - c["ci_low"]) if c else 0 for c in cs], [pct(c["ci_high"] - c["mean"]) if c else 0
                                                                        for c in cs]]
        ax.bar(x + (k - (len(shown) - 1) / 2) * width, means, width, yerr=err, capsize=2, color=colours[arm],
               label=setting_name(arm))
    ax.step(np.r_[x - 0.5, x[-1] + 0.5], pct(np.r_[chance, chance[-1]]), where="post", color="k", lw=0.8,
            ls="--", label="chance")
    ax.set_ylabel(f"{family}\naccuracy (%)", fontsize=8)
    ax.set_ylim(0, 100)
    ax.spines[["top", "right"]].set_visible(False)
axes[0, 0].legend(ncol=3, fontsize=8, loc="upper right")
axes[-1, 0].set_xticks(x, [mark(c) for c in CATEGORIES], rotation=20, fontsize=8)
fig.suptitle(f"FineVidBench-mini per category, with and without SF²T ({profile} profile; mean ± 95% CI)"
             + ("\n" + warning.strip() if warning else ""), fontsize=9)
save_figure(fig, figures / "sf2t_per_category")
plt.close(fig)

# %% [markdown]
# ## Accuracy against the number of frames and the playback speed
#
# Scene-level questions asked about the same videos with 4, 8 or 16 frames (Action and Effect), and Action
# questions whose frames are shown at 0.5×–4× playback speed (the benchmark's variants).


# %%
def curve_figure(key, xlabel, stem, log_x=False):
    rows = S["sweeps"][key]
    fams = S["families"]
    fig, axes = plt.subplots(1, len(fams), figsize=(3.2 * len(fams), 2.8), sharey=True, squeeze=False)
    for ax, family in zip(axes[0], fams, strict=True):
        for arm in S["settings"]:
            pts = sorted((r for r in rows if r["family"] == family and r["setting"] == arm), key=lambda r: r[key])
            if not pts:
                continue
            xs = [r[key] for r in pts]
            err = [[pct(r["mean"] - r["ci_low"]) for r in pts], [pct(r["ci_high"] - r["mean"]) for r in pts]]
            ax.errorbar(xs, [pct(r["mean"]) for r in pts], yerr=err, marker="o", ms=3, capsize=2, lw=1,
                        color=colours[arm], label=setting_name(arm))
        ax.set_title(family, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        if log_x:
            ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({r[key] for r in rows}), [f"{v:g}" for v in sorted({r[key] for r in rows})])
        ax.set_ylim(0, 100)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0, 0].set_ylabel("accuracy (%)")
    axes[0, -1].legend(fontsize=7)
    if warning:
        fig.suptitle(warning.strip(), fontsize=8, y=1.04)
    save_figure(fig, figures / stem)
    plt.close(fig)


curve_figure("n_frames", "frames shown", "accuracy_vs_frames", log_x=True)
curve_figure("speed", "playback speed (×)", "accuracy_vs_speed", log_x=True)
print("written:", sorted(p.name for p in tables.glob("*")), sorted(p.name for p in figures.glob("*")))
