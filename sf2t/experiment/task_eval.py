"""Does SF²T learn its own tasks? Held-out fragment-task samples (the five tasks, made from the
held-out world's videos, which no run trains on) scored like the benchmark, for the base and the
arms that train on them; and their accuracy per family, arm and task against chance.

A task sample becomes an evaluation item: its frames, question and options, the answer as a
letter, ``level`` "task" and the task as ``category``. The same `sf2t.evaluate.evaluate` scores
it, blind run included, so the per-item records hold every formulation's raw scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.records import read_jsonl, write_jsonl
from sf2t.common.stage_cache import run_stage
from sf2t.experiment.paths import EVAL_CODE, Paths, model_ref, read_items, run_file
from sf2t.experiment.plan import Run
from sf2t.experiment.profiles import TASKS, Profile
from sf2t.experiment.worlds import task_heldout_world


def wanted(profile: Profile, run: Run) -> bool:
    """Whether ``run`` is scored on the held-out task samples (``task_eval.settings``)."""
    t = profile.task_eval
    return bool(t) and run.drop_task is None and run.setting in t.get("settings", ("base", "sf2t"))


def as_item(record: dict[str, Any]) -> dict[str, Any]:
    """A task sample (either answer form) as an evaluation item."""
    from sf2t.common.prompts import in_answer_form

    letter = in_answer_form(record, "letter")
    return {
        "id": record["id"],
        "video": record["video"],
        "level": "task",
        "category": record["task"],
        "question": record["question"],
        "options": list(record["options"]),
        "answer": letter["answer"],
        "frames": {"indices": list(record["frames"]["indices"]), "transform": record["frames"].get("transform")},
        "numbered": bool(record.get("numbered", False)),
        "meta": record.get("meta", {}),
    }


def stage_task_items(profile: Profile, paths: Paths, family: str, worlds: dict[str, str], log=print) -> str:
    """``task_eval.n_per_task`` samples of each task from the held-out world (`task_heldout_world`), for ``family`` (its
    frame merging decides what a frame count means); returns the items file."""
    from sf2t.experiment.data import sf2t_samples

    t, s = profile.task_eval, profile.sf2t
    heldout = task_heldout_world(worlds)
    inputs = {"heldout": Path(heldout), "task_eval": t, "family": family, "sf2t": s}

    def build(out: Path) -> dict[str, Any]:
        records, line = sf2t_samples(
            heldout,
            family,
            t["n_per_task"] * len(TASKS),
            t.get("seed", 0),
            "",
            s.get("frames_per_clip", 16),
            task_options=s.get("tasks"),
        )
        write_jsonl(out / "items.jsonl", [as_item(r) for r in records])
        return {"path": str(out / "items.jsonl"), "summary": line}

    return run_stage(f"task items {family}", paths.cache / "task_items" / family, inputs, build, log=log)["path"]


def stage_task_eval(
    profile: Profile, paths: Paths, run: Run, base_dir: str, adapter: str | None, items_path: str, root: str, log=print
) -> str:
    """Score ``run``'s model on its family's held-out task items; returns the evaluation folder."""
    from sf2t.evaluate import evaluate

    e = profile.evaluation
    inputs = {
        "base": model_ref(base_dir),
        "adapter": Path(adapter) if adapter else None,
        "items": Path(items_path),
        "mode": profile.scoring,
        "normalization": e.get("normalization", "char"),
    }

    def build(out: Path) -> dict[str, Any]:
        from sf2t.models import load

        evaluate(
            load(base_dir, adapter=adapter),
            read_jsonl(items_path),
            root,
            out,
            mode=profile.scoring,
            normalization=e.get("normalization", "char"),
            batch_size=e.get("batch_size", 8),
            blind_baseline=True,
            model_name=run.id,
            progress=False,
        )
        return {"dir": str(out)}

    out = paths.cache / "task_eval" / run.id
    return run_stage(f"task eval {run.id}", out, inputs, build, log=log, code=EVAL_CODE)["dir"]


def task_rows(per_run: dict[tuple[str, str], list[list[dict[str, Any]]]], n_boot: int = 2000) -> list[dict[str, Any]]:
    """Accuracy per (family, arm, task): the mean over seeds of each seed's accuracy, a 95%
    bootstrap interval over items (seeds averaged per item), chance (one over the options), and
    the blind run's accuracy. ``per_run[(family, arm)]`` lists, per seed, the compact records
    (video and blind side by side: ``correct`` and ``blind_correct``)."""
    rows = []
    for (family, arm), seeds in sorted(per_run.items()):
        for task in TASKS:
            recs = [[r for r in seed if r["category"] == task] for seed in seeds]
            if not recs[0]:
                continue
            video = np.mean([[float(r["correct"]) for r in seed] for seed in recs], axis=0)
            blind = np.mean([[float(r["blind_correct"]) for r in seed] for seed in recs], axis=0)
            rng = np.random.default_rng([len(rows), 7])
            boots = video[rng.integers(0, video.size, size=(n_boot, video.size))].mean(axis=1)
            rows.append(
                {
                    "family": family,
                    "setting": arm,
                    "task": task,
                    "n_items": int(video.size),
                    "n_seeds": len(seeds),
                    "accuracy": round(float(video.mean()), 6),
                    "ci_low": round(float(np.quantile(boots, 0.025)), 6),
                    "ci_high": round(float(np.quantile(boots, 0.975)), 6),
                    "chance": round(float(np.mean([1 / r["n_options"] for r in recs[0]])), 6),
                    "blind": round(float(blind.mean()), 6),
                }
            )
    return rows


def compact_task_records(eval_dir: str | Path) -> list[dict[str, Any]]:
    """Per task item: what was asked and answered, with and without the video (committed)."""
    from sf2t.evaluate import BLIND_DIR, ITEMS_FILE, read_done

    video = read_done(Path(eval_dir) / ITEMS_FILE)
    blind = read_done(Path(eval_dir) / BLIND_DIR / ITEMS_FILE)
    out = []
    for item_id, rec in sorted(video.items()):
        b = blind.get(item_id, {})
        out.append(
            {
                "id": item_id,
                "category": rec["category"],
                "answer": rec["answer"],
                "pred": rec["pred"],
                "correct": rec["correct"],
                "blind_pred": b.get("pred"),
                "blind_correct": b.get("correct"),
                "n_options": len((rec.get("cloze") or {}).get("logprob") or rec.get("scores") or []),
                **({"cloze": rec["cloze"], "blind_cloze": b.get("cloze")} if "cloze" in rec else {}),
            }
        )
    return out


def summarise_tasks(results: Path, runs: Sequence[Run], profile: Profile) -> list[dict[str, Any]]:
    """`task_rows` from the committed ``runs/**/<seed>.tasks.jsonl.gz`` files."""
    per_run: dict[tuple[str, str], list[list[dict[str, Any]]]] = defaultdict(list)
    for run in runs:
        path = run_file(results, run).with_suffix(".tasks.jsonl.gz")
        if wanted(profile, run) and path.is_file():
            per_run[(run.family, run.arm)].append(read_items(path))
    return task_rows(per_run, profile.stats.get("n_bootstrap", 2000))
