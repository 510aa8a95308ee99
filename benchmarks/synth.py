"""Synthetic-world throughput: seconds to generate clips (render + H.264 encode + truth).

Writes ``results/perf/world.json``. Generates ``--n`` clips of the default world (32 frames
at 112², all backgrounds and actions) into a temporary folder with ``--workers`` processes.
Target: 1,000 clips in under 2 minutes with 2 workers on a 2-core machine.

The machine may be shared: the load average before and after, and the CPU seconds our
processes used against the wall-clock time, are recorded so a slow run can be told apart
from a busy machine.

    python benchmarks/world.py [--n 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import numpy as np  # noqa: E402

from sf2t import world  # noqa: E402

TARGET_SECONDS_PER_1000 = 120.0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # pool workers, once joined
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="clips to generate (default 1000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "perf" / "world.json")
    args = parser.parse_args()

    config = world.WorldConfig()
    folder = Path(tempfile.mkdtemp(prefix="sf2t-bench-synth-"))
    load_before = os.getloadavg()
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    try:
        truths = world.generate(folder, args.n, "train", seed=0, config=config, workers=args.workers, progress=True)
        seconds = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        sizes = [(folder / t["video"]).stat().st_size for t in truths]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    load_after = os.getloadavg()
    cpus = os.cpu_count() or 1
    target = TARGET_SECONDS_PER_1000 * args.n / 1000
    busy = max(load_before[0], load_after[0]) > 0.5 * cpus
    report = {
        "benchmark": "synth",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_1m_before": round(load_before[0], 2),
            "load_average_1m_after": round(load_after[0], 2),
        },
        "versions": {
            "numpy": np.__version__,
            "av": av.__version__,
            "libavcodec (bundled with PyAV, encodes libx264)": ".".join(map(str, av.library_versions["libavcodec"])),
        },
        "config": config.to_dict(),
        "n_clips": args.n,
        "workers": args.workers,
        "seconds": round(seconds, 2),
        "clips_per_second": round(args.n / seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_per_wall": round(cpu / seconds, 2),
        "mean_mp4_bytes": int(np.mean(sizes)),
        "target": f"{args.n} clips in under {target:.0f} s with 2 workers",
        "target_met": seconds < target,
        "note": ("other processes were using the CPU during this run (1-min load average above half the "
                 "core count); the time is an upper bound" if busy else "the machine was quiet"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.n} clips in {seconds:.1f} s ({args.n / seconds:.1f} clips/s, {args.workers} workers, "
          f"CPU/wall {cpu / seconds:.2f}, load {load_before[0]:.1f} -> {load_after[0]:.1f}); "
          f"target {target:.0f} s: {'met' if report['target_met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
