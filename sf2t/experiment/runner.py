"""Run the experiment of a profile, its stages in order, each cached (`sf2t.common.stage_cache`):

    worlds → benchmark → bases (competence gate) → training data → leakage check → runs → summary

Each stage is a function of its inputs in its own module (`worlds`, `benchmark`, `bases`, `data`,
`leakage`, `runs`, `stats`); this module only calls them in order and writes the small results.
Heavy files (videos, checkpoints, evaluation folders) go to ``<results>/cache/experiment/<profile>``
(not committed); the small results go to ``<results>/experiment/<profile>`` (committed):
``profile.json``, ``plan.json``, ``competence.json``, ``leakage.json``, ``bench_stats.json``,
``runs/<family>/<arm>/<seed>.json`` with ``.items.jsonl.gz`` (per-item records), ``summary.json``.
Timings go to ``<results>/perf/experiment_<profile>.json``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from sf2t.common.stage_cache import read_marker
from sf2t.experiment.bases import CompetenceError, base_job, base_jobs, gate, gate_message
from sf2t.experiment.benchmark import eval_items, stage_bench
from sf2t.experiment.data import training_sources
from sf2t.experiment.leakage import stage_leakage
from sf2t.experiment.paths import REPO, Paths, quiet, write_json
from sf2t.experiment.plan import Run, plan_runs
from sf2t.experiment.profiles import Profile
from sf2t.experiment.runs import run_one
from sf2t.experiment.task_eval import stage_task_items
from sf2t.experiment.worlds import stage_worlds


def run_experiment(profile: Profile, results_dir: str | Path, log=print, from_scratch: bool = False) -> dict[str, Any]:
    """Everything for ``profile``; returns the summary (also written to ``summary.json``).
    ``from_scratch`` retrains the base models instead of reusing ``results/bases/<profile>``.

    Raises `CompetenceError` (after every base is trained, so the message covers them all) when a
    base falls short of the gate and the profile says ``"on_fail": "stop"``.
    """
    import torch

    from sf2t.bench import bench_stats, load_bench
    from sf2t.common.records import resolve_under
    from sf2t.evaluate import items_sha256
    from sf2t.experiment.leakage import file_sha256
    from sf2t.experiment.stats import summarise

    profile.check_data()  # the user's files, before anything runs
    torch.set_num_threads(profile.torch_threads)
    t0 = time.perf_counter()
    paths = Paths.of(results_dir, profile)
    paths.results.mkdir(parents=True, exist_ok=True)
    runs = plan_runs(profile)
    public_profile = {k: v for k, v in profile.to_dict().items() if k != "source"}
    write_json(paths.results / "profile.json", {**public_profile, "source": profile.source})
    write_json(paths.results / "plan.json", [r.to_dict() for r in runs])

    # 1-2. worlds and the benchmark
    worlds = stage_worlds(profile, paths, log)
    bench = stage_bench(profile, paths, worlds, log)
    all_items, skipped = load_bench(bench["path"], bench["root"])  # a malformed line is named here
    for s in skipped:
        log(f"bench {bench['path']}: {s}")
    items = eval_items(profile, all_items)
    write_json(
        paths.results / "bench_stats.json",
        {
            "built": bench_stats(all_items),
            "evaluated": bench_stats(items),
            "bench_file_sha256": file_sha256(Path(bench["path"])),
            "evaluated_items_sha256": items_sha256(items),
            "rebuild": f"nox -s reproduce -- 04 --profile {profile.name} (stage 'bench' of sf2t.experiment; "
            "the file is results/cache/experiment/<profile>/bench/finevidbench_mini.jsonl)",
            "world": profile.world,
            "videos": profile.videos,
            "bench": profile.bench,
        },
    )
    log(f"worlds ready; bench {len(all_items)} items, {len(items)} evaluated per run; {len(runs)} runs planned")

    # 3. one base per family, and the competence gate
    every_base = parallel(base_job, base_jobs(profile, paths, worlds, from_scratch), profile.workers, "bases")
    bases = every_base[: len(profile.families)]  # the bases the runs fine-tune; the rest check the gate's seeds
    verdict = gate(profile, {b["name"]: b["competence"] for b in every_base})
    write_json(paths.results / "competence.json", verdict)
    if not verdict["passed"]:
        message = gate_message(verdict, profile)
        if profile.competence_gate["on_fail"] == "stop":
            raise CompetenceError(message)
        log("WARNING (gate on_fail=warn, results are a smoke test only): " + message)

    # 4-5. every run's training data (cheap, in this process), checked for leaks before any fine-tune
    training = [pair for b in bases for pair in zip(b.get("captions", []), b.get("caption_roots", []), strict=True)]
    for run in runs:
        if run.trains:
            training += [(s["path"], s["root"]) for s in training_sources(profile, paths, run, worlds, quiet)]
    bench_files = sorted({resolve_under(bench["root"], it["video"]) for it in all_items})
    leakage = stage_leakage(training, worlds.get("bench"), bench_files, Path(results_dir))
    write_json(paths.results / "leakage.json", leakage)
    log(
        f"leakage check: {sum(leakage['records_checked_by_content'].values())} training records "
        f"({leakage['training_videos_hashed']} videos) against {leakage['bench_videos']} bench videos: none shared"
    )

    # 6. the runs: fine-tune and evaluate
    shared = {
        "worlds": worlds,
        "bases": {f: b["model_dir"] for f, b in zip(profile.families, bases, strict=True)},
        "bench": {"path": bench["path"], "root": bench["root"]},
        "task_items": {f: stage_task_items(profile, paths, f, worlds, log) for f in profile.families}
        if profile.task_eval
        else {},
    }
    parallel(run_one, [(public_profile, paths, r.to_dict(), shared) for r in runs], profile.workers, "runs")

    # 7. the summary every table is made from
    summary = summarise(paths.results, runs, items, profile)
    write_json(paths.results / "summary.json", summary)
    write_json(paths.perf / f"experiment_{profile.name}.json", timings(profile, paths, runs, time.perf_counter() - t0))
    return summary


def parallel(fn: Callable, jobs: list[tuple], workers: int, desc: str) -> list[Any]:
    """``fn(*job)`` for every job, in ``workers`` spawned processes (or in this one), results in job order."""
    from tqdm import tqdm  # text bars in a kernel too (tqdm.auto wants ipywidgets, else warns)

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


def timings(profile: Profile, paths: Paths, runs: list[Run], wall_s: float) -> dict[str, Any]:
    """This call's wall time and each stage's from-scratch time (recorded when it was built)."""
    stages = {}
    for marker in sorted(paths.cache.rglob("stage.json")):
        if any(".stale-" in part for part in marker.relative_to(paths.cache).parts):
            continue  # outputs of an earlier code or config, moved aside: not part of this run
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
