"""Held-out disorder and rearrangement accuracy before and after SF²T, one row per vision run of
this study, from the run JSONs in results/ (written by vision_run.py): results/frame_order/heldout.json
and the table in results/frame_order/README.md at the top of the repository.

"Before" is the model SF²T starts from (after any position-caption stage, the would-be base);
"after" is after the SF²T stage (the disorder and/or rearrangement samples). Position-caption
steps count every caption stage on the way, including those of a run whose saved model this run
starts from.

Usage: python research/frame_order/summarise.py
"""

from __future__ import annotations

import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "results", "frame_order")
TARGETS = {"disorder": 0.80, "rearrangement": 0.50}
CHANCE = {"disorder": 0.50, "rearrangement": 0.25}


def stages_of(config: dict) -> list[dict]:
    return config.get("stages") or [{"tasks": config["tasks"], "steps": config["steps"]}]


def base_run_of(init: str, bases: dict) -> dict | None:
    """The base_run.py result that trained the model at ``init`` (a base with position captions
    interleaved into its coarse-caption curriculum), if any."""
    return next((b for b in bases.values() if init.startswith(b["model_dir"].rsplit("/stage-", 1)[0])), None)


def caption_steps(config: dict, runs: dict, upto: int | None = None, bases: dict | None = None) -> int | str:
    """Position-caption steps of this run's stages (the first ``upto``), plus those its starting
    model had (the run that saved it, up to the saving stage); for a base with interleaved position
    captions, its steps and their share of the samples."""
    own = sum(s["steps"] for s in stages_of(config)[:upto] if "poscap" in s["tasks"])
    init = config["init"]
    if init in ("base", "tiny"):
        return own
    base = base_run_of(init, bases or {})
    if base is not None:
        steps = sum(base["config"]["steps"])
        return f"{steps} interleaved ({base['config']['share']:.0%} of samples, batch {base['recipe']['batch_size']})"
    for other in runs.values():
        c = other["config"]
        for k, s in enumerate(stages_of(c)):
            if s.get("save") == init:
                return own + caption_steps(c, runs, k + 1)
        if c.get("save_model") == init:
            return own + caption_steps(c, runs)
    raise ValueError(f"{config}: no run saved its starting model {init}")


def saved_caption_result(init: str, runs: dict, bases: dict | None = None) -> dict | None:
    """The held-out position-bin accuracy of the model a run starts from, where the saving run measured it."""
    base = base_run_of(init, bases or {})
    if base is not None:
        return base["poscap_heldout"]
    for other in runs.values():
        for k, s in enumerate(stages_of(other["config"])):
            if s.get("save") == init and k < len(other.get("stages", [])):
                return other["stages"][k].get("poscap_heldout")
    return None


def row(run: dict, runs: dict, bases: dict) -> dict:
    c = run["config"]
    stages = stages_of(c)
    sf2t_k = max(k for k, s in enumerate(stages) if "poscap" not in s["tasks"])
    before = run["stages"][sf2t_k - 1]["heldout"] if sf2t_k > 0 else run["before"]
    caption_stage = next((s for s in reversed(run.get("stages", [])[:sf2t_k]) if "poscap_heldout" in s), None)
    bins = caption_stage["poscap_heldout"] if caption_stage else saved_caption_result(c["init"], runs, bases)
    sf2t = stages[sf2t_k]
    return {
        "run": run["name"],
        "family": c["family"],
        "world": {"speeds": c.get("speed_share"), "size_range": c.get("size_range"), "actions": c.get("world")},
        "position_caption_steps": caption_steps(c, runs, bases=bases),
        "position_bins_heldout": bins,
        "sf2t": {
            "tasks": sorted(sf2t["tasks"]),
            "steps": sf2t["steps"],
            "lr": sf2t.get("lr", c["lr"]),
            "schedule": sf2t.get("schedule", "constant"),
            "seconds": run["stages"][sf2t_k]["seconds"] if run.get("stages") else run["train_seconds"],
        },
        "heldout_before": {t: {"acc": v["acc"], "ci95": v["ci95"], "n": v["n"]} for t, v in before.items()},
        "heldout_after": {t: {"acc": v["acc"], "ci95": v["ci95"], "n": v["n"]} for t, v in run["after"].items()},
        "train_samples_after": {t: v["acc"] for t, v in run["in_sample_after"].items()},
    }


def library_runs() -> dict:
    """Held-out task accuracy of the study's runs through the library's own experiment
    (library_run.py: sf2t.experiment.run_experiment on a profile of profiles/), from their summary.json."""
    out = {}
    for path in sorted(glob.glob(os.path.join(HERE, "library", "*", "experiment", "*", "summary.json"))):
        with open(path) as f:
            summary = json.load(f)
        name = os.path.basename(os.path.dirname(path))
        out[name] = {
            "source": os.path.relpath(path, REPO),
            "tasks": [
                {k: t[k] for k in ("family", "setting", "task", "accuracy", "ci_low", "ci_high", "chance", "blind", "n_items")}
                for t in summary["tasks"]
            ],
        }
    return out


def main() -> None:
    runs = {}
    for path in sorted(glob.glob(os.path.join(HERE, "results", "v*.json"))):
        with open(path) as f:
            run = json.load(f)
        runs[run["name"]] = run
    bases = {}
    for path in sorted(glob.glob(os.path.join(HERE, "results", "b[0-9]*_*.json"))):
        with open(path) as f:
            base = json.load(f)
        bases[base["name"]] = base
    rows = [row(r, runs, bases) for r in sorted(runs.values(), key=lambda r: int(r["name"].split("_")[0][1:]))]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "heldout.json"), "w") as f:
        json.dump(
            {
                "source": "research/frame_order/results/v*.json (vision_run.py), summarised by "
                "research/frame_order/summarise.py",
                "chance": CHANCE,
                "targets": TARGETS,
                "rows": rows,
                "interleaved_bases": {
                    name: {k: b[k] for k in ("config", "competence", "poscap_heldout", "train_seconds")}
                    for name, b in bases.items()
                },
                "library_runs": library_runs(),
            },
            f,
            indent=1,
        )
        f.write("\n")

    def cell(r, t):
        b, a = r["heldout_before"].get(t), r["heldout_after"].get(t)
        if a is None:
            return "—"
        mark = " ✓" if a["acc"] >= TARGETS[t] else ""
        return f"{b['acc']:.2f} → **{a['acc']:.2f}** [{a['ci95'][0]:.2f}, {a['ci95'][1]:.2f}]{mark}"

    lines = [
        "# Frame order: held-out accuracy before and after SF²T (issue 16)",
        "",
        "Generated by `research/frame_order/summarise.py` from the run files of `research/frame_order/results/`",
        "(each written by `vision_run.py`, which holds the run's full config); the study and its",
        "reading are in `research/frame_order/README.md`. Held out = samples of labelled-split videos never",
        "trained on (300 per task), cloze scoring, Wilson 95% intervals. Chance: disorder 0.50, rearrangement",
        '0.25; targets (✓): disorder ≥ 0.80, rearrangement ≥ 0.50. "Before" is the model SF²T starts from.',
        "",
        "| run | family | position-caption steps (bins right, video) | SF²T steps, lr | disorder before → after |"
        " rearrangement before → after | SF²T seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        bins = r["position_bins_heldout"]
        cap = f"{r['position_caption_steps']}" + (f" ({bins['video']['acc']:.2f})" if bins else "")
        s = r["sf2t"]
        sched = "" if s["schedule"] == "constant" else f", {s['schedule']}"
        lines.append(
            f"| {r['run']} | {r['family']} | {cap} | {s['steps']}, {s['lr']:g}{sched} | {cell(r, 'disorder')} | "
            f"{cell(r, 'rearrangement')} | {s['seconds']:.0f} |"
        )
    lines += [
        "",
        "Bases with position captions interleaved into the coarse-caption curriculum from the start",
        "(`base_run.py`: the mini base recipe through `sf2t.train`, position captions of the fragment world at the",
        "given share of every stage's samples). Competence: the experiment's gate questions on held-out",
        "mini-world videos (gate: object accuracy ≥ 0.85, coarse action balanced ≥ 0.70); bins: position",
        "bins right on held-out fragment-world videos, shown as a video / as numbered frames.",
        "",
        "| base | family | steps (share) | object | coarse action (balanced) | colour | bins right (video / numbered) | train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, b in bases.items():
        comp, bins = b["competence"], b["poscap_heldout"]
        lines.append(
            f"| {name} | {b['config']['family']} | {'+'.join(map(str, b['config']['steps']))} "
            f"({b['config']['share']:.0%}) | {comp['caption_object']['accuracy']:.2f} | "
            f"{comp['caption_happening']['balanced_accuracy']:.2f} | {comp['caption_colour_fixed']['accuracy']:.2f} | "
            f"{bins['video']['acc']:.2f} / {bins['numbered']['acc']:.2f} | {b['train_seconds']:.0f} |"
        )
    for name, lib in library_runs().items():
        lines += [
            "",
            f"Through the library's own experiment (`library_run.py {name}`: `sf2t.experiment.run_experiment`,",
            "MP4 videos, the library's trainer and task evaluation; 300 held-out samples per task, the",
            f"experiment's intervals; `{lib['source']}`):",
            "",
            "| family | task | base | after SF²T | blind (base) | chance |",
            "|---|---|---|---|---|---|",
        ]
        by = {(t["family"], t["task"], t["setting"]): t for t in lib["tasks"]}
        for family, task in sorted({(t["family"], t["task"]) for t in lib["tasks"]}, key=lambda x: x):
            b, a = by.get((family, task, "base")), by.get((family, task, "sf2t"))
            lines.append(
                f"| {family} | {task} | {b['accuracy']:.2f} | **{a['accuracy']:.2f}** [{a['ci_low']:.2f}, "
                f"{a['ci_high']:.2f}] | {b['blind']:.2f} | {b['chance']:.2f} |"
            )
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
