"""The leading stages of a base curriculum that an earlier base already trained the same way.

A base recipe extended by one more stage (a longer curriculum, the same first stages) would
retrain every stage from scratch: tens of minutes on a CPU for weights it already has, since
training is deterministic (same seed and data, same weights). `pretrain_base` takes those stages
from the earlier base's folder instead: each stage's saved ``train_config.json`` must equal this
run's (paths relative to the stage folder, run-only fields aside) and its data files equal byte
for byte, up to the last such stage whose ``final`` weights are still there (only a base's last
stage keeps them).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from sf2t.train.config import CONFIG_NAME, TrainConfig
from sf2t.train.loop import RunResult
from sf2t.train.resume import RESUME_FREE_FIELDS


def reusable_stages(configs: Sequence[TrainConfig], earlier: str | Path) -> int:
    """How many leading stages of ``configs`` to take from the base in ``earlier`` (0: none)."""
    earlier, usable = Path(earlier), 0
    for number, config in enumerate(configs):
        folder = earlier / f"stage-{number}"
        if not same_stage(config, folder):
            break
        if (folder / "final").is_dir():
            usable = number + 1
    return usable


def same_stage(config: TrainConfig, folder: Path) -> bool:
    """Whether the finished run in ``folder`` was trained as ``config`` says, on the same data."""
    if not (folder / "result.json").is_file() or not (folder / CONFIG_NAME).is_file():
        return False
    saved = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    now = json.loads(config.to_json(relative_to=config.output_dir))
    if any(saved.get(key) != value for key, value in now.items() if key not in RESUME_FREE_FIELDS):
        return False
    here = [Path(s["path"] if isinstance(s, dict) else s.path) for s in config.to_dict()["data"]]
    there = [folder / s["path"] for s in saved["data"]]
    return all(b.is_file() and _digest(a) == _digest(b) for a, b in zip(here, there, strict=True))


def take_stage(earlier: str | Path, number: int, out_dir: str | Path) -> RunResult:
    """Copy stage ``number`` of ``earlier`` into ``out_dir`` (no checkpoints) and read its result back."""
    target = Path(out_dir) / f"stage-{number}"
    shutil.copytree(Path(earlier) / f"stage-{number}", target, ignore=shutil.ignore_patterns("checkpoints"))
    return RunResult.from_folder(target)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
