"""Run the experiment of a profile, stage by stage, each stage cached (`sf2t.common.stage_cache`):
worlds → FineVidBench-mini → one base per family (competence gate) → SFT records and SF²T
samples → leakage check → fine-tunes → evaluations → per-run results and the seed summary.

Heavy files (videos, checkpoints, evaluation folders) go to ``<results>/cache/experiment/<profile>``
(not committed); the small results go to ``<results>/experiment/<profile>`` (committed):
``profile.json``, ``plan.json``, ``competence.json``, ``leakage.json``, ``bench_stats.json``,
``runs/<family>/<arm>/<seed>.json`` with ``.items.jsonl.gz`` (per-item records), ``summary.json``.
Timings go to ``<results>/perf/experiment_<profile>.json``.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sf2t.common.records import write_jsonl
from sf2t.common.stage_cache import fingerprint, read_marker, run_stage
from sf2t.experiment.plan import Run, plan_runs
from sf2t.experiment.profiles import Profile, ProfileError

REPO = Path(__file__).resolve().parents[2]


class CompetenceError(RuntimeError):
    """A base model fell short of the profile's competence gate: every table would be meaningless."""


@dataclass(frozen=True)
class Paths:
    results: Path  # results/experiment/<profile>
    cache: Path  # results/cache/experiment/<profile>
    perf: Path  # results/perf
    bases: Path  # results/bases/<profile>: small base checkpoints, meant to be committed

    @classmethod
    def of(cls, results_dir: str | Path, profile: Profile) -> Paths:
        """A profile's folders; the bases are those of ``profile.bases`` when it borrows another
        profile's committed bases (same base inputs) instead of training its own copy."""
        root = Path(results_dir)
        return cls(
            root / "experiment" / profile.name,
            root / "cache" / "experiment" / profile.name,
            root / "perf",
            root / "bases" / (profile.bases or profile.name),
        )


def _dump(path: Path, value: Any) -> None:
    """Canonical JSON (sorted keys, fixed indent): equal results give equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _gzip_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """Deterministic gzip (no name, mtime 0) of canonical JSONL."""
    text = "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(text.encode("utf-8"))


def _quiet(_msg: str) -> None:
    return None


def _ref(model: str) -> Path | str:
    """A stage input naming a model: a local folder by its content, a hub id by its name."""
    return Path(model) if Path(model).exists() else model


# ---------------------------------------------------------------------- stages shared by all runs


def stage_worlds(profile: Profile, paths: Paths, log=print) -> dict[str, str]:
    from sf2t.experiment.data import build_worlds

    inputs = {
        "world": profile.world,
        "videos": profile.videos,
        "world_seed": profile.world_seed,
        "replaced": sorted(profile.replaced_splits()),
    }

    def build(out: Path) -> dict[str, Any]:
        return {k: str(v) for k, v in build_worlds(profile, out).items()}

    return run_stage("worlds", paths.cache / "worlds", inputs, build, log=log)


def stage_bench(profile: Profile, paths: Paths, worlds: dict[str, str], log=print) -> dict[str, Any]:
    """The benchmark every run answers: the user's FineVidBench file (``data.bench``; nothing to
    build, `run_experiment` validates it as it loads it), or FineVidBench-mini built from the bench
    world. Returns its ``path`` and videos ``root``."""
    from sf2t.bench.build import build_mini

    user = profile.user_data().get("bench")
    if user:
        return {"path": user["path"], "root": user["root"]}
    bench_world = worlds["bench"]
    b = profile.bench
    options = {
        "frame_counts": tuple(b.get("frame_counts", (4, 8, 16))),
        "speeds": tuple(b.get("speeds", (0.5, 1, 2, 4))),
    }
    inputs = {
        "world": Path(bench_world),
        "n_videos": profile.videos["bench"],
        "qpv": b["questions_per_video"],
        "seed": b.get("seed", 0),
        "options": options,
    }

    def build(out: Path) -> dict[str, Any]:
        built = build_mini(
            bench_world,
            out,
            n_videos=profile.videos["bench"],
            questions_per_video=b["questions_per_video"],
            seed=b.get("seed", 0),
            **options,
        )
        return {"path": str(built.path), "root": str(Path(built.path).parent), "n_items": len(built.items)}

    return run_stage("bench", paths.cache / "bench", inputs, build, log=log)


def eval_items(profile: Profile, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items every run answers: the whole bench, or ``eval_per_category`` of each category
    spread through it (the same items for every run, so runs pair item by item)."""
    from sf2t.bench import spread_subset

    k = profile.bench["eval_per_category"]
    return spread_subset(items, k) if k else list(items)


# ---------------------------------------------------------------------- per-family base


def base_inputs(profile: Profile, family: str) -> dict[str, Any]:
    """What a base depends on: its recipe and the world it learns (not the code, not fine-tuning)."""
    return {
        "family": family,
        "recipe": profile.base_recipe(family),
        "world": profile.world,
        "world_seed": profile.world_seed,
        "videos": {k: profile.videos[k] for k in ("base", "heldout")},
    }


def stage_base(
    profile: Profile, paths: Paths, family: str, worlds: dict[str, str], log=print, from_scratch: bool = False
) -> dict[str, Any]:
    """Train (or, for a given checkpoint, only measure) the base of ``family``.

    The base lives in ``paths.bases`` (committed for the mini profile) and is keyed by its recipe
    and the world's definition, not by the code: a base costs tens of minutes on a CPU, so code
    changes reuse it and ``from_scratch`` retrains it.
    """
    inputs = base_inputs(profile, family)
    recipe = inputs["recipe"]

    def build(out: Path) -> dict[str, Any]:
        from sf2t.experiment.competence import competence
        from sf2t.train.stages import pretrain_base

        r = dict(recipe)
        measure = {
            "kinds": r.pop("competence_kinds", None) or r.get("kinds", ["object", "happening"]),
            "num_frames": r.get("num_frames", 8),
            "batch_size": r.get("batch_size", 8),
            "seed": r.get("seed", 0),
        }
        if "model" in r:  # a pretrained checkpoint (paper scale): nothing to train, competence still measured
            return {
                "model_dir": r["model"],
                "competence": competence(r["model"], worlds["heldout"], **measure),
                "captions": [],
            }
        result = pretrain_base(family, worlds["base"], out, None, progress=False, **r)
        for folder in out.glob("stage-*/checkpoints"):  # optimizer states: not needed once trained
            shutil.rmtree(folder)
        for folder in out.glob("stage-*/final"):  # earlier curriculum stages' weights: only the last is the base
            if folder.resolve() != Path(result.model_dir).resolve():
                shutil.rmtree(folder)
        return {  # paths relative to the stage folder: the folder is committed and cloned elsewhere
            "model_dir": Path(result.model_dir).relative_to(out).as_posix(),
            "competence": competence(result.model_dir, worlds["heldout"], **measure),
            "captions": sorted(p.relative_to(out).as_posix() for p in (out / "captions").glob("*.jsonl")),
            "final_loss": result.runs[-1].final_loss,
            "steps": sum(x.steps for x in result.runs),
        }

    out = paths.bases / family
    if profile.bases and profile.bases != profile.name:
        _check_borrowed_base(profile, out, inputs, from_scratch)
    done = run_stage(f"base {family}", out, inputs, build, force=from_scratch, log=log, code=False)
    local = (out / done["model_dir"]).is_dir()
    return {
        **done,
        "model_dir": str(out / done["model_dir"]) if local else done["model_dir"],
        "captions": [str(out / c) for c in done["captions"]],
    }


def _check_borrowed_base(profile: Profile, out: Path, inputs: dict[str, Any], from_scratch: bool) -> None:
    """A borrowed base is used only as it is: never retrained into another profile's folder."""
    marker = read_marker(out)
    why = ""
    if from_scratch:
        why = "from_scratch would retrain it"
    elif not marker:
        why = "it is not trained yet"
    elif marker.get("fingerprint") != fingerprint(inputs, code=False):
        why = "its recipe, world or video counts differ from this profile's"
    if why:
        raise ProfileError(
            f"{profile.source or profile.name}: `bases: {profile.bases!r}` borrows {out}, but {why}. "
            f"Run profile {profile.bases!r} first, align the base inputs, or remove `bases` to train this "
            "profile's own."
        )


def gate(profile: Profile, competence: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Compare each base's competence (the gate's ``metric``) with the profile's thresholds."""
    mins = profile.competence_gate["min_accuracy"]
    metric = profile.competence_gate.get("metric", "balanced_accuracy")
    verdicts = {}
    for family, comp in competence.items():
        short = {}
        for kind, need in mins.items():
            value = comp.get(kind, {}).get(metric)
            if value is None or value < need:
                short[kind] = {metric: value, "required": need, "chance": comp.get(kind, {}).get("chance")}
        verdicts[family] = {"passed": not short, "short": short, "competence": comp}
    return {
        "min_accuracy": mins,
        "metric": metric,
        "on_fail": profile.competence_gate["on_fail"],
        "families": verdicts,
        "passed": all(v["passed"] for v in verdicts.values()),
    }


def gate_message(verdict: dict[str, Any], profile: Profile) -> str:
    metric = verdict["metric"]
    lines = [f"base model(s) below the competence gate of profile {profile.name!r} ({profile.source}):"]
    for family, v in verdict["families"].items():
        for kind, s in v["short"].items():
            acc = "missing" if s[metric] is None else f"{s[metric]:.3f}"
            lines.append(f"  {family}: {kind} {metric} {acc} < required {s['required']} (chance {s['chance']})")
    lines.append(
        "A base that does not know the world makes every table meaningless. Improve the base recipe "
        "(`base` block of the profile: model size, steps, lr, curriculum) or the world's difficulty."
    )
    return "\n".join(lines)


# ---------------------------------------------------------------------- per-run data, fine-tune, evaluation


def stage_sft_data(profile: Profile, paths: Paths, seed: int, worlds: dict[str, str], log=print) -> tuple[str, str]:
    """The SFT records and their videos folder: the user's labelled file (``data.sft``, the same
    for every seed), or scene-level questions drawn per seed from the labelled world."""
    from sf2t.experiment.data import sft_records
    from sf2t.world import load_truth

    user = profile.user_data().get("sft")
    if user:
        return user["path"], user["root"]
    b = profile.bench
    inputs = {
        "labelled": Path(worlds["labelled"]),
        "sft": profile.sft,
        "seed": seed,
        "frame_counts": b.get("frame_counts"),
        "speeds": b.get("speeds"),
    }

    def build(out: Path) -> dict[str, Any]:
        records = sft_records(
            load_truth(worlds["labelled"]),
            profile.sft["records_per_video"],
            seed,
            profile.sft.get("categories", ("Action", "Effect", "Speed")),
            b.get("frame_counts", (4, 8, 16)),
            b.get("speeds", (0.5, 1, 2, 4)),
        )
        write_jsonl(out / "sft.jsonl", records)
        return {"path": str(out / "sft.jsonl"), "n": len(records)}

    done = run_stage(f"sft data seed{seed}", paths.cache / "data" / "sft" / f"seed{seed}", inputs, build, log=log)
    return done["path"], worlds["labelled"]


def sf2t_videos(profile: Profile, worlds: dict[str, str]) -> str:
    """SF²T's unlabelled videos: the user's folder (``data.train_videos``) or the train world."""
    return profile.user_data().get("train_videos") or worlds["train"]


def stage_sf2t_data(profile: Profile, paths: Paths, run: Run, worlds: dict[str, str], log=print) -> str:
    from sf2t.experiment.data import sf2t_samples

    s = profile.sf2t
    name = f"seed{run.seed}" + (f"-no_{run.drop_task}" if run.drop_task else "")
    videos = sf2t_videos(profile, worlds)
    inputs = {"train": Path(videos), "sf2t": s, "family": run.family, "seed": run.seed, "drop": run.drop_task}

    def build(out: Path) -> dict[str, Any]:
        records, line = sf2t_samples(
            videos,
            run.family,
            s["n_samples"],
            run.seed,
            s.get("mix", ""),
            s.get("frames_per_clip", 16),
            run.drop_task,
        )
        write_jsonl(out / "sf2t.jsonl", records)
        return {"path": str(out / "sf2t.jsonl"), "n": len(records), "summary": line}

    out = paths.cache / "data" / "sf2t" / run.family / name
    return run_stage(f"sf2t data {run.family} {name}", out, inputs, build, log=log)["path"]


def training_sources(profile: Profile, paths: Paths, run: Run, worlds: dict[str, str], log=print) -> list[dict]:
    """The data mixture of ``run``'s arm: SFT records, SF²T samples, or both with the profile's ratio."""
    sources = []
    if run.setting in ("sft", "sft_sf2t"):
        ratio = profile.sft_sf2t_ratio[0] if run.setting == "sft_sf2t" else 1.0
        path, root = stage_sft_data(profile, paths, run.seed, worlds, log)
        sources.append({"path": path, "root": root, "ratio": ratio, "name": "sft"})
    if run.setting in ("sf2t", "sft_sf2t"):
        ratio = profile.sft_sf2t_ratio[1] if run.setting == "sft_sf2t" else 1.0
        sources.append(
            {
                "path": stage_sf2t_data(profile, paths, run, worlds, log),
                "root": sf2t_videos(profile, worlds),
                "ratio": ratio,
                "name": "sf2t",
            }
        )
    return sources


def stage_finetune(profile, paths, run: Run, base_dir: str, sources: list[dict], log=print) -> str:
    from sf2t.train.stages import finetune

    overrides = dict(profile.finetune)
    mode = overrides.pop("mode", "lora")
    inputs = {
        "base": _ref(base_dir),
        "data": [{**s, "path": Path(s["path"]), "root": None} for s in sources],
        "finetune": profile.finetune,
        "seed": run.seed,
    }

    def build(out: Path) -> dict[str, Any]:
        result = finetune(base_dir, sources, out / "run", mode=mode, seed=run.seed, progress=False, **overrides)
        return {"model_dir": str(result.model_dir), "final_loss": result.final_loss, "elapsed_s": result.elapsed_s}

    return run_stage(f"finetune {run.id}", paths.cache / "finetune" / run.id, inputs, build, log=log)["model_dir"]


def stage_evaluate(
    profile, paths, run: Run, base_dir: str, adapter: str | None, items, videos_root: str, log=print
) -> str:
    from sf2t.evaluate import evaluate, items_sha256

    e = profile.evaluation
    blind = {"all": True, "none": False, "base": not run.trains}[e.get("blind_baseline", "base")]
    inputs = {
        "base": _ref(base_dir),
        "adapter": Path(adapter) if adapter else None,
        "items": items_sha256(items),
        "blind": blind,
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
            batch_size=e.get("batch_size", 8),
            blind_baseline=blind,
            model_name=run.id,
            adapter=None,
            n_bootstrap=e.get("n_bootstrap", 1000),
            seed=0,
            progress=False,
        )
        return {"dir": str(out)}

    return run_stage(f"evaluate {run.id}", paths.cache / "eval" / run.id, inputs, build, log=log)["dir"]


# ---------------------------------------------------------------------- one run, end to end


def compact_items(eval_dir: str | Path) -> list[dict[str, Any]]:
    """Per-item records as committed: what was asked, what was answered, whether it was right."""
    from sf2t.evaluate import ITEMS_FILE, read_done

    done = read_done(Path(eval_dir) / ITEMS_FILE)
    keep = ("id", "level", "category", "answer", "pred", "correct", "speed", "order")
    return [{**{k: rec.get(k) for k in keep}, "n_frames": len(rec["frame_indices"])} for _, rec in sorted(done.items())]


def run_one(profile_values: dict[str, Any], paths: Paths, run_values: dict[str, Any], shared: dict[str, Any]) -> dict:
    """Data → fine-tune → evaluation for one run (every step cached); write its results files.
    A plain function of plain values so it can run in a worker process."""
    import torch

    from sf2t.bench import load_bench

    profile = Profile(**profile_values)
    torch.set_num_threads(profile.torch_threads)
    run = Run(**{k: run_values[k] for k in ("family", "setting", "seed", "drop_task")})
    worlds, base_dir = shared["worlds"], shared["bases"][run.family]
    items = eval_items(profile, load_bench(shared["bench"]["path"], shared["bench"]["root"])[0])
    adapter = None
    sources: list[dict] = []
    if run.trains:
        sources = training_sources(profile, paths, run, worlds, _quiet)
        adapter = stage_finetune(profile, paths, run, base_dir, sources, _quiet)
    eval_dir = stage_evaluate(profile, paths, run, base_dir, adapter, items, shared["bench"]["root"], _quiet)
    agg = json.loads((Path(eval_dir) / "aggregate.json").read_text())
    blind = (agg.get("baselines") or {}).get("blind")
    result = {
        "run": run.to_dict(),
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
    _dump(out.with_suffix(".json"), result)
    _gzip_jsonl(out.with_suffix(".items.jsonl.gz"), compact_items(eval_dir))
    return {"id": run.id, "sources": sources}


def _base_job(
    profile_values: dict[str, Any], paths: Paths, family: str, worlds: dict[str, str], from_scratch: bool
) -> dict[str, Any]:
    import torch

    profile = Profile(**profile_values)
    torch.set_num_threads(profile.torch_threads)
    return stage_base(profile, paths, family, worlds, _quiet, from_scratch=from_scratch)


def _parallel(fn: Callable, jobs: list[tuple], workers: int, desc: str) -> list[Any]:
    """``fn(*job)`` for every job, in ``workers`` spawned processes (or in this one), results in job order."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(jobs), desc=desc, unit="run")
    results: list[Any] = [None] * len(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for k, job in enumerate(jobs):
            results[k] = fn(*job)
            bar.update(1)
    else:
        import multiprocessing

        os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        ctx = multiprocessing.get_context("spawn")  # safe although this process holds torch threads
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(fn, *job): k for k, job in enumerate(jobs)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
    bar.close()
    return results


# ---------------------------------------------------------------------- the whole experiment


def run_experiment(profile: Profile, results_dir: str | Path, log=print, from_scratch: bool = False) -> dict[str, Any]:
    """Everything for ``profile``; returns the summary (also written to ``summary.json``).
    ``from_scratch`` retrains the base models instead of reusing ``results/bases/<profile>``.

    Raises `CompetenceError` (after every base is trained, so the message covers them all) when a
    base falls short of the gate and the profile says ``"on_fail": "stop"``.
    """
    import torch

    from sf2t.bench import bench_stats, load_bench
    from sf2t.common.records import resolve_under
    from sf2t.experiment.data import check_no_leakage, check_no_shared_videos
    from sf2t.experiment.stats import summarise

    profile.check_data()  # the user's files, before anything runs
    torch.set_num_threads(profile.torch_threads)
    t0 = time.perf_counter()
    paths = Paths.of(results_dir, profile)
    paths.results.mkdir(parents=True, exist_ok=True)
    runs = plan_runs(profile)
    public_profile = {k: v for k, v in profile.to_dict().items() if k != "source"}
    _dump(paths.results / "profile.json", {**public_profile, "source": profile.source})
    _dump(paths.results / "plan.json", [r.to_dict() for r in runs])

    worlds = stage_worlds(profile, paths, log)
    bench = stage_bench(profile, paths, worlds, log)
    all_items, skipped = load_bench(bench["path"], bench["root"])  # a malformed line is named here
    for s in skipped:
        log(f"bench {bench['path']}: {s}")
    items = eval_items(profile, all_items)
    _dump(
        paths.results / "bench_stats.json",
        {
            "built": bench_stats(all_items),
            "evaluated": bench_stats(items),
            "world": profile.world,
            "videos": profile.videos,
            "bench": profile.bench,
        },
    )
    log(f"worlds ready; bench {len(all_items)} items, {len(items)} evaluated per run; {len(runs)} runs planned")

    bases = _parallel(
        _base_job,
        [(public_profile, paths, f, worlds, from_scratch) for f in profile.families],
        profile.workers,
        "bases",
    )
    verdict = gate(profile, {f: b["competence"] for f, b in zip(profile.families, bases, strict=True)})
    _dump(paths.results / "competence.json", verdict)
    if not verdict["passed"]:
        message = gate_message(verdict, profile)
        if profile.competence_gate["on_fail"] == "stop":
            raise CompetenceError(message)
        log("WARNING (gate on_fail=warn, results are a smoke test only): " + message)
    shared = {
        "worlds": worlds,
        "bases": {f: b["model_dir"] for f, b in zip(profile.families, bases, strict=True)},
        "bench": {"path": bench["path"], "root": bench["root"]},
    }

    # Training data first (cheap, in this process) so leakage is checked before any fine-tune.
    training = [(c, worlds["base"]) for b in bases for c in b.get("captions", [])]
    for run in runs:
        if run.trains:
            training += [(s["path"], s["root"]) for s in training_sources(profile, paths, run, worlds, _quiet)]
    training = sorted(set(training))
    # By ground truth (id, seed) where training and bench videos are the synthetic world's, and by
    # file content for every video, the user's own included.
    synthetic = [(p, r) for p, r in training if (Path(r) / "index.jsonl").is_file()]
    leakage = check_no_leakage(synthetic, worlds["bench"]) if "bench" in worlds else {"records_checked": {}}
    bench_files = sorted({resolve_under(bench["root"], it["video"]) for it in all_items})
    by_content = check_no_shared_videos(training, bench_files)
    leakage = {
        "records_checked": {os.path.relpath(k, Path(results_dir)): v for k, v in leakage["records_checked"].items()},
        "records_checked_by_content": {
            os.path.relpath(k, Path(results_dir)): v for k, v in by_content["records_checked"].items()
        },
        "training_videos_hashed": by_content["training_videos"],
        "bench_videos": by_content["bench_videos"],
        "leaks": 0,
    }
    _dump(paths.results / "leakage.json", leakage)
    log(
        f"leakage check: {sum(leakage['records_checked_by_content'].values())} training records "
        f"({leakage['training_videos_hashed']} videos) against {leakage['bench_videos']} bench videos: none shared"
    )

    _parallel(run_one, [(public_profile, paths, r.to_dict(), shared) for r in runs], profile.workers, "runs")
    summary = summarise(paths.results, runs, items, profile)
    _dump(paths.results / "summary.json", summary)
    _dump(paths.perf / f"experiment_{profile.name}.json", timings(profile, paths, runs, time.perf_counter() - t0))
    return summary


def timings(profile: Profile, paths: Paths, runs: list[Run], wall_s: float) -> dict[str, Any]:
    """This call's wall time and each stage's from-scratch time (recorded when it was built)."""
    stages = {}
    for marker in sorted(paths.cache.rglob("stage.json")):
        m = read_marker(marker.parent)
        if m:
            stages[marker.parent.relative_to(paths.cache).as_posix()] = m["seconds"]
    by_kind: dict[str, float] = {}
    for name, s in stages.items():
        by_kind[name.split("/")[0]] = round(by_kind.get(name.split("/")[0], 0.0) + s, 3)
    return {
        "profile": profile.name,
        "workers": profile.workers,
        "torch_threads": profile.torch_threads,
        "runs": len(runs),
        "wall_s_this_call": round(wall_s, 3),
        "from_scratch_stage_s_total": round(sum(stages.values()), 3),
        "from_scratch_stage_s_by_kind": by_kind,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
