"""Training speed and memory: sf2t's loop against a plain PyTorch loop, per model family.

Writes ``results/perf/train.json``. For each family of `sf2t.models.FAMILIES` that builds, at the
mini configuration (``tiny(family, size="mini")``: ~2.7-3.1 M parameters, 8 frames of 64², batch 4),
in LoRA and in full fine-tuning:

- **sf2t**: `sf2t.train.train` end to end from JSONL records: frame cache, ``llm.encode``, accelerate,
  gradient clipping, the learning-rate schedule, the loss curve written every step;
- **plain**: a second copy of the same model (same initial weights, same trainable parameters) and
  the very micro-batches the sf2t run drew, encoded beforehand, through forward / backward /
  ``AdamW.step`` / ``zero_grad`` and nothing else.

sf2t is timed with no data worker (the library's default, judged against the target: every bit of
data work is on the timed path) and with one (the next micro-batches are decoded and encoded in a
worker process while the model trains; on two shared CPU cores the worker competes with the model
for the CPU, so it is reported beside, not judged).

The two loops alternate step by step (one plain step runs in sf2t's step callback), so a busy shared
machine slows both alike; medians over the steps after a warm-up are compared. Target: sf2t's time
per step at most 1.15x the plain loop's. The data cost (frames + ``encode`` per micro-batch, which
the plain loop does not pay) is reported beside it. Memory is measured in a fresh process per loop:
the resident set after the imports, and its peak while the model is built and ten steps run
(``added_mb``: the model, its processor, lazily imported model code, activations and optimizer
state; the plain loop's includes its pre-encoded batches).

    python benchmarks/train.py [--families qwen2_vl llava_onevision] [--modes lora full] [--steps 30]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

from sf2t import world
from sf2t.common.records import write_jsonl
from sf2t.models import FAMILIES
from sf2t.train import TrainConfig, train
from sf2t.train import data as train_data
from sf2t.train.loop import prepare_model
from sf2t.world.captions import caption_records

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.15
WARMUP = 3


def make_data(folder: Path, videos: int) -> Path:
    config = world.WorldConfig(width=64, height=64, num_frames=16)
    truths = world.generate(folder / "videos", n=videos, split="train", seed=0, config=config, progress=False)
    write_jsonl(folder / "captions.jsonl", caption_records(truths, num_frames=8))
    return folder / "captions.jsonl"


def config_for(family: str, mode: str, data: Path, out: Path, steps: int, num_workers: int) -> TrainConfig:
    return TrainConfig(
        data=[{"path": str(data), "root": str(data.parent / "videos")}],
        output_dir=str(out),
        model=f"tiny:{family}",
        model_size={"size": "mini"},
        mode=mode,
        steps=steps,
        batch_size=4,
        lr=1e-4,
        num_workers=num_workers,
        progress=False,
    ).validate()


class PlainLoop:
    """Forward / backward / AdamW / zero_grad on a second copy of the run's model (same initial
    weights, same trainable parameters), over the run's own micro-batches encoded beforehand."""

    def __init__(self, config: TrainConfig, work: Path):
        self.llm, _ = prepare_model(config, work, is_main=True)
        sources = train_data.load_sources(config.data)
        plan = train_data.mixture_plan(sources, config.steps, config.batch_size, config.seed)
        dataset = train_data.MicroBatches(plan, sources, self.llm, 0, config.batch_size, config.frame_cache_mb)
        t0 = time.perf_counter()
        self.batches = [dataset[k] for k in range(config.steps)]
        self.data_s_per_step = (time.perf_counter() - t0) / config.steps
        self.model = self.llm.model
        self.model.train()
        self.optimizer = torch.optim.AdamW([p for p in self.model.parameters() if p.requires_grad], lr=config.lr)

    def step(self, k: int) -> None:
        for group in self.batches[k]:  # one group unless a stacking family meets mixed frame counts
            (self.model(**group.batch).loss * group.weight).backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def timed_run(config: TrainConfig, work: Path) -> dict:
    """One sf2t run with a plain step after each of its steps (from the step callback): the two
    loops alternate step by step, so they see the same machine load."""
    plain = PlainLoop(config, work)
    times: dict[str, list[float]] = {"sf2t": [], "plain": []}
    last = [time.perf_counter()]

    def callback(step: int, row: dict) -> None:
        entered = time.perf_counter()
        times["sf2t"].append(entered - last[0])  # the whole sf2t iteration: data, step, curve, bookkeeping
        plain.step(step - 1)
        times["plain"].append(time.perf_counter() - entered)
        last[0] = time.perf_counter()

    result = train(config, callback=callback)
    return {
        "step_s": {k: v[WARMUP:] for k, v in times.items()},
        "data_s_per_step": plain.data_s_per_step,
        "trainable": result.trainable,
    }


def memory_probe(
    family: str, mode: str, loop: str, data: Path, work: Path, steps: int, num_workers: int
) -> dict[str, float]:
    """Memory (MB) of a fresh process that builds the model and runs ``loop`` (see `run_probe`)."""
    cmd = [sys.executable, __file__, "--probe", family, mode, loop, str(data), str(work), str(steps), str(num_workers)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def run_probe(family, mode, loop, data, work, steps, num_workers) -> None:
    """Print ``{"baseline_mb", "peak_mb", "added_mb"}``: the resident set after the imports and its
    high-water mark while the model is built and ``steps`` steps run (reset after the imports through
    ``/proc/self/clear_refs``, Linux). Data workers (if any) are not counted."""
    torch.set_num_threads(1)
    config = config_for(
        family, mode, Path(data), Path(work) / f"probe-{family}-{mode}-{loop}", int(steps), int(num_workers)
    )
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")  # reset the peak-RSS counter (VmHWM) to the current RSS
    baseline = _status_kb("VmRSS")
    if loop == "plain":
        plain = PlainLoop(config, Path(config.output_dir))
        for k in range(config.steps):
            plain.step(k)
    else:
        train(config)
    peak = _status_kb("VmHWM")
    print(
        json.dumps(
            {
                "baseline_mb": baseline / 1024,
                "peak_mb": peak / 1024,
                "added_mb": (peak - baseline) / 1024,
            }
        )
    )


def measure(
    family: str, mode: str, data: Path, work: Path, steps: int, repeats: int, num_workers: int, memory: bool
) -> dict:
    times: dict[str, list[float]] = {"sf2t": [], "plain": []}
    data_cost, trainable = [], {}
    for repeat in range(repeats):
        name = f"{family}-{mode}-{num_workers}-{repeat}"
        config = config_for(family, mode, data, work / name, steps, num_workers)
        out = timed_run(config, work / f"{name}-plain")
        for name in times:
            times[name] += out["step_s"][name]
        data_cost.append(out["data_s_per_step"])
        trainable = out["trainable"]
    peak = {}
    if memory:
        peak = {loop: memory_probe(family, mode, loop, data, work, 10, num_workers) for loop in ("sf2t", "plain")}
    median = {k: statistics.median(v) for k, v in times.items()}
    mean = {k: statistics.fmean(v) for k, v in times.items()}
    ratio = median["sf2t"] / median["plain"]
    return {
        "family": family,
        "mode": mode,
        "num_workers": num_workers,
        "parameters": trainable.get("parameters"),
        "trainable_parameters": trainable.get("trainable"),
        "steps_timed": {k: len(v) for k, v in times.items()},
        "step_s_median": median,
        "step_s_mean": mean,
        "samples_per_s": {k: 4 / v for k, v in median.items()},
        "data_s_per_step": statistics.median(data_cost),
        "memory_mb": peak,
        "sf2t_over_plain": ratio,
        "sf2t_over_plain_mean": mean["sf2t"] / mean["plain"],
        "target_met": ratio <= TARGET_RATIO,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--modes", nargs="*", default=["lora", "full"], choices=["lora", "full"])
    parser.add_argument("--steps", type=int, default=30, help="steps per run (the first 3 are warm-up)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per family and mode")
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument(
        "--num-workers",
        type=int,
        nargs="+",
        default=[0, 1],
        help="sf2t data-worker settings to time; the first (default 0, the library's default) is judged against "
        "the target and measured for memory",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (1: robust on a shared CPU)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "perf" / "train.json")
    parser.add_argument("--probe", nargs=7, help=argparse.SUPPRESS)  # internal: one memory measurement
    args = parser.parse_args()
    if args.probe:
        run_probe(*args.probe)
        return 0
    torch.set_num_threads(args.threads)
    results, failures = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = make_data(work / "data", args.videos)
        for family in args.families:
            for mode in args.modes:
                for workers in args.num_workers:
                    key = f"{family}/{mode}/workers={workers}"
                    try:
                        row = measure(
                            family,
                            mode,
                            data,
                            work,
                            args.steps,
                            args.repeats,
                            workers,
                            memory=workers == args.num_workers[0],
                        )
                    except Exception as exc:  # a family that does not build is reported, not fatal
                        failures[key] = f"{type(exc).__name__}: {exc}"
                        print(f"{key}: FAILED {failures[key]}")
                        continue
                    results.append(row)
                    memory = (
                        f", RSS added {row['memory_mb']['sf2t']['added_mb']:.0f} / "
                        f"{row['memory_mb']['plain']['added_mb']:.0f} MB"
                        if row["memory_mb"]
                        else ""
                    )
                    print(
                        f"{key:>36}: {row['parameters'] / 1e6:4.2f} M params, sf2t "
                        f"{row['samples_per_s']['sf2t']:6.1f} samples/s vs plain {row['samples_per_s']['plain']:6.1f} "
                        f"(ratio {row['sf2t_over_plain']:.3f}; data {row['data_s_per_step'] * 1e3:.1f} ms/step){memory}"
                    )
    judged = [r for r in results if r["num_workers"] == args.num_workers[0]]
    worst = max((r["sf2t_over_plain"] for r in judged), default=float("nan"))
    others = [r["sf2t_over_plain"] for r in results if r["num_workers"] != args.num_workers[0]]
    report = {
        "benchmark": "train",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch_threads": args.threads},
        "versions": {"torch": torch.__version__},
        "setup": {
            "size": "mini",
            "frames": 8,
            "image_size": 64,
            "batch_size": 4,
            "steps_per_run": args.steps,
            "num_workers": args.num_workers,
            "warmup_steps": WARMUP,
            "repeats": args.repeats,
        },
        "target": f"sf2t time per step <= {TARGET_RATIO}x the plain loop's (medians, steps interleaved)",
        "judged_num_workers": args.num_workers[0],
        "worst_ratio": worst,
        "target_met": bool(judged) and worst <= TARGET_RATIO,
        "worst_ratio_other_worker_settings": max(others) if others else None,
        "results": results,
        "failures": failures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"worst ratio with {args.num_workers[0]} data worker(s) {worst:.3f} (target {TARGET_RATIO}): "
        f"{'met' if report['target_met'] else 'NOT met'}"
        + (f"; other worker settings, worst {max(others):.3f}" if others else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
