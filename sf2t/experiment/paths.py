"""Where an experiment's files go, and how its small results files are written so that equal
results give equal bytes (they are committed)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sf2t.experiment.profiles import Profile

REPO = Path(__file__).resolve().parents[2]

#: The subpackages a fine-tune and an evaluation run: their stages rerun when this code changes, not
#: when the experiment's bookkeeping or the reports do (their inputs, data files by content, are the rest).
TRAIN_CODE = ("train", "models", "video", "common")
EVAL_CODE = ("evaluate", "models", "bench", "video", "common")


@dataclass(frozen=True)
class Paths:
    results: Path  # results/experiment/<profile>
    cache: Path  # results/cache/experiment/<profile>
    perf: Path  # results/perf
    bases: Path  # results/bases/<profile>: small base checkpoints, meant to be committed

    @classmethod
    def of(cls, results_dir: str | Path, profile: Profile) -> Paths:
        """A profile's folders; the bases are those of ``profile.bases`` when it borrows another
        profile's committed bases (same base inputs) instead of training its own copy."""
        root = Path(results_dir)
        return cls(
            root / "experiment" / profile.name,
            root / "cache" / "experiment" / profile.name,
            root / "perf",
            root / "bases" / (profile.bases or profile.name),
        )


def write_json(path: Path, value: Any) -> None:
    """Canonical JSON (sorted keys, fixed indent): equal results give equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def write_jsonl_gz(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """Deterministic gzip (no name, mtime 0) of canonical JSONL."""
    text = "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(text.encode("utf-8"))


def model_ref(model: str) -> Path | str:
    """A stage input naming a model: a local folder by its content, a hub id by its name."""
    return Path(model) if Path(model).exists() else model


def quiet(_msg: str) -> None:
    """A log that says nothing (stages run in worker processes)."""
    return None


def read_items(path: str | Path) -> list[dict[str, Any]]:
    """The records of a gzipped JSONL results file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_file(results: Path, run) -> Path:
    """The stem of a run's committed results files: ``runs/<family>/<arm>/<seed or base>``."""
    return results / "runs" / run.family / run.arm / ("base" if run.seed is None else f"seed{run.seed}")
