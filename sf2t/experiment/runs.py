"""Stage 6, runs: one run (a family's arm and seed) is data → fine-tune → evaluation, every step
cached, and its results files: ``runs/<family>/<arm>/<seed>.json`` and the per-item records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sf2t.common.stage_cache import run_stage
from sf2t.experiment.benchmark import eval_items
from sf2t.experiment.data import training_sources
from sf2t.experiment.paths import EVAL_CODE, TRAIN_CODE, Paths, model_ref, quiet, write_json, write_jsonl_gz
from sf2t.experiment.plan import Run
from sf2t.experiment.profiles import Profile
from sf2t.experiment.task_eval import compact_task_records, stage_task_eval, wanted
from sf2t.experiment.worlds import task_heldout_world


def stage_finetune(profile, paths, run: Run, base_dir: str, sources: list[dict], log=print) -> str:
    """Fine-tune ``base_dir`` on ``sources`` with the profile's recipe; returns the model folder."""
    from sf2t.train.stages import finetune

    overrides = dict(profile.finetune)
    mode = overrides.pop("mode", "lora")
    inputs = {
        "base": model_ref(base_dir),
        "data": [{**s, "path": Path(s["path"]), "root": None} for s in sources],
        "finetune": profile.finetune,
        "seed": run.seed,
    }

    def build(out: Path) -> dict[str, Any]:
        result = finetune(base_dir, sources, out / "run", mode=mode, seed=run.seed, progress=False, **overrides)
        return {"model_dir": str(result.model_dir), "final_loss": result.final_loss, "elapsed_s": result.elapsed_s}

    out = paths.cache / "finetune" / run.id
    return run_stage(f"finetune {run.id}", out, inputs, build, log=log, code=TRAIN_CODE)["model_dir"]


def stage_evaluate(
    profile, paths, run: Run, base_dir: str, adapter: str | None, items, videos_root: str, log=print
) -> str:
    """Evaluate the base (with ``adapter`` if any) on ``items``; returns the evaluation folder."""
    from sf2t.evaluate import evaluate, items_sha256

    e = profile.evaluation
    blind = {"all": True, "none": False, "base": not run.trains}[e.get("blind_baseline", "base")]
    inputs = {
        "base": model_ref(base_dir),
        "adapter": Path(adapter) if adapter else None,
        "items": items_sha256(items),
        "blind": blind,
        "mode": profile.scoring,
        "normalization": e.get("normalization", "char"),
        "batch_size": e.get("batch_size", 8),
        "n_bootstrap": e.get("n_bootstrap", 1000),
    }

    def build(out: Path) -> dict[str, Any]:
        from sf2t.models import load

        model = load(base_dir, adapter=adapter)
        evaluate(
            model,
            items,
            videos_root,
            out,
            mode=profile.scoring,
            normalization=e.get("normalization", "char"),
            batch_size=e.get("batch_size", 8),
            blind_baseline=blind,
            model_name=run.id,
            adapter=None,
            n_bootstrap=e.get("n_bootstrap", 1000),
            seed=0,
            progress=False,
        )
        return {"dir": str(out)}

    return run_stage(f"evaluate {run.id}", paths.cache / "eval" / run.id, inputs, build, log=log, code=EVAL_CODE)["dir"]


def compact_items(eval_dir: str | Path) -> list[dict[str, Any]]:
    """Per-item records as committed: what was asked, what was answered, whether it was right,
    and under cloze every option's raw scores (so every formulation is recomputed from them)."""
    from sf2t.evaluate import ITEMS_FILE, read_done

    done = read_done(Path(eval_dir) / ITEMS_FILE)
    keep = ("id", "level", "category", "answer", "pred", "correct", "speed", "order", "cloze")
    return [
        {**{k: rec[k] for k in keep if k in rec}, "n_frames": len(rec["frame_indices"])}
        for _, rec in sorted(done.items())
    ]


def run_one(profile_values: dict[str, Any], paths: Paths, run_values: dict[str, Any], shared: dict[str, Any]) -> dict:
    """Data → fine-tune → evaluation for one run (every step cached); write its results files.
    A plain function of plain values so it can run in a worker process."""
    import torch

    from sf2t.bench import load_bench
    from sf2t.evaluate import BLIND_DIR

    profile = Profile(**profile_values)
    torch.set_num_threads(profile.torch_threads)
    run = Run(**{k: run_values[k] for k in ("family", "setting", "seed", "drop_task")})
    worlds, base_dir = shared["worlds"], shared["bases"][run.family]
    items = eval_items(profile, load_bench(shared["bench"]["path"], shared["bench"]["root"])[0])
    adapter = None
    sources: list[dict] = []
    if run.trains:
        sources = training_sources(profile, paths, run, worlds, quiet)
        tuned = stage_finetune(profile, paths, run, base_dir, sources, quiet)
        if profile.finetune.get("mode", "lora") == "lora":
            adapter = tuned  # a LoRA adapter on the base, evaluated without merging
        else:
            base_dir = tuned  # full fine-tuning wrote a whole model
    eval_dir = stage_evaluate(profile, paths, run, base_dir, adapter, items, shared["bench"]["root"], quiet)
    task_dir = None
    if wanted(profile, run):
        items_path = shared["task_items"][run.family]
        task_dir = stage_task_eval(
            profile, paths, run, base_dir, adapter, items_path, task_heldout_world(worlds), quiet
        )
    agg = json.loads((Path(eval_dir) / "aggregate.json").read_text())
    blind = (agg.get("baselines") or {}).get("blind")
    result = {
        "run": run.to_dict(),
        "scoring": {"mode": profile.scoring, "normalization": agg["config"].get("normalization")},
        "formulations": agg.get("formulations"),
        "overall": agg["overall"],
        "levels": agg["levels"],
        "categories": agg["categories"],
        "blind": None if blind is None else {k: blind[k] for k in ("overall", "levels", "categories")},
        "n_items": len(items),
        "training_data": [
            {"name": s["name"], "ratio": s["ratio"], "records": sum(1 for _ in open(s["path"], encoding="utf-8"))}
            for s in sources
        ],
    }
    out = paths.results / "runs" / run.family / run.arm / (f"seed{run.seed}" if run.seed is not None else "base")
    write_json(out.with_suffix(".json"), result)
    write_jsonl_gz(out.with_suffix(".items.jsonl.gz"), compact_items(eval_dir))
    if (Path(eval_dir) / BLIND_DIR).is_dir():  # the blind run's records: paired video-vs-blind tests offline
        write_jsonl_gz(out.with_suffix(".blind.jsonl.gz"), compact_items(Path(eval_dir) / BLIND_DIR))
    if task_dir is not None:
        write_jsonl_gz(out.with_suffix(".tasks.jsonl.gz"), compact_task_records(task_dir))
    return {"id": run.id, "sources": sources}
