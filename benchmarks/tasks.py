"""Fragment-task throughput: samples per second for the whole five-task mixture.

Writes ``results/perf/tasks.json``. Makes (or reuses) a folder of 500 synthetic clips of the
default world (`sf2t.world`), then times ``sf2t.tasks.generate_samples(..., n=10000)``:
every clip is decoded once and all five tasks draw their samples from those frames.
Target: 10,000 samples from 500 clips in under 60 seconds on this machine. Wall seconds
depend on what else runs (the load average is recorded); CPU seconds are recorded too.

    python benchmarks/tasks.py [--clips DIR] [--n-clips 500] [--n 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sf2t import world
from sf2t.tasks import Mixture, generate_samples

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def ensure_clips(folder: Path, n_clips: int, seed: int) -> float:
    """Make the synthetic clips (resumable: clips already there are kept); returns seconds."""
    t0 = time.perf_counter()
    world.generate(folder, n=n_clips, split="train", seed=seed, workers=os.cpu_count() or 1, progress=True)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=None, help="folder for the clips (kept; default: a temp dir)")
    parser.add_argument("--n-clips", type=int, default=500)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frames-per-clip", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "perf" / "tasks.json")
    args = parser.parse_args()

    folder = args.clips or Path(tempfile.mkdtemp(prefix="sf2t-bench-tasks-"))
    try:
        synth_seconds = ensure_clips(folder, args.n_clips, args.seed)
        mixture = Mixture.from_spec(None)
        t0, c0 = time.perf_counter(), time.process_time()
        records, summary = generate_samples(
            folder, args.n, args.seed, mixture, frames_per_clip=args.frames_per_clip, progress=True
        )
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    finally:
        if args.clips is None:
            shutil.rmtree(folder, ignore_errors=True)

    config = world.WorldConfig()
    report = {
        "benchmark": "tasks",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
        "clips": {
            "n": args.n_clips,
            "world": {"width": config.width, "height": config.height, "num_frames": config.num_frames},
            "frames_decoded_per_clip": args.frames_per_clip,
            "synth_seconds": round(synth_seconds, 2),
        },
        "mixture": {k: float(v) for k, v in mixture.ratios.items()},
        "requested": args.n,
        "written": summary.total_written,
        "per_task": dict(sorted(Counter(r["task"] for r in records).items())),
        "skipped": {f"{task}/{reason}": count for (task, reason), count in sorted(summary.skipped.items())},
        "unreadable": len(summary.unreadable),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "samples_per_second": round(summary.total_written / seconds, 1),
        "target": f"{args.n} samples from {args.n_clips} clips in under {TARGET_SECONDS:.0f} s",
        "target_met": seconds < TARGET_SECONDS and summary.total_written >= 0.99 * args.n,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(summary.line())
    print(
        f"{summary.total_written} samples in {seconds:.1f} s = {report['samples_per_second']:.0f} samples/s "
        f"(target < {TARGET_SECONDS:.0f} s: {'met' if report['target_met'] else 'NOT met'}) -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
