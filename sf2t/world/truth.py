"""Reading a world folder back: the truth records, validated, and the check that folders share no video."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sf2t.common.records import RecordError, iter_jsonl, resolve_under
from sf2t.world.config import ACTIONS
from sf2t.world.seeds import SPLITS

#: Fields every truth record carries (the contract the benchmark builds on).
TRUTH_FIELDS: tuple[str, ...] = (
    "id",
    "split",
    "seed",
    "video",
    "width",
    "height",
    "num_frames",
    "fps",
    "background",
    "objects",
    "actor",
    "action",
    "effect",
    "speed",
    "speed_px_per_frame",
    "boxes",
)


def _truth_problems(rec: dict[str, Any]) -> list[str]:
    problems = []
    missing = [k for k in TRUTH_FIELDS if k not in rec]
    if missing:
        return [f"missing field(s) {', '.join(missing)}"]
    if rec["action"] not in ACTIONS:
        problems.append(f"unknown action {rec['action']!r}")
    if rec["split"] not in SPLITS:
        problems.append(f"unknown split {rec['split']!r}")
    elif not isinstance(rec["seed"], int) or not SPLITS[rec["split"]][0] <= rec["seed"] < SPLITS[rec["split"]][1]:
        problems.append(f"seed {rec['seed']!r} is outside the {rec['split']} range {SPLITS[rec['split']]}")
    if not isinstance(rec["boxes"], list) or len(rec["boxes"]) != rec["num_frames"]:
        problems.append(f"boxes must list {rec['num_frames']} frames")
    elif any(not isinstance(row, list) or len(row) != len(rec["objects"]) for row in rec["boxes"]):
        problems.append(f"every frame of boxes must have one entry per object ({len(rec['objects'])})")
    if not isinstance(rec["actor"], int) or not 0 <= rec["actor"] < len(rec["objects"]):
        problems.append(f"actor {rec['actor']!r} is not an object index")
    if not isinstance(rec["video"], str):
        problems.append("video must be a relative path string")
    return problems


def load_truth(directory: str | os.PathLike, check_files: bool = True) -> list[dict[str, Any]]:
    """The truth records of a world folder (its ``index.jsonl``), validated.

    Every malformed line is reported with its number in one `RecordError`; with
    ``check_files`` a missing video file (or one outside the folder) is such a problem too.
    """
    root = Path(directory)
    index = root / "index.jsonl"
    if not index.is_file():
        raise FileNotFoundError(f"{root}: no index.jsonl here; not a folder written by `sf2t synth`")
    records, problems = [], []
    for n, rec, err in iter_jsonl(index):
        errs = [err] if err else _truth_problems(rec)
        if not errs and check_files:
            try:
                if not resolve_under(root, rec["video"]).is_file():
                    errs.append(f"video file {rec['video']!r} does not exist")
            except ValueError as exc:
                errs.append(str(exc))
        problems.extend((n, e) for e in errs)
        if not errs:
            records.append(rec)
    if problems:
        raise RecordError(index, problems)
    return records


class OverlapError(ValueError):
    """Two world folders share a video seed or id (data leaking between splits or runs)."""


def check_disjoint(*dirs: str | os.PathLike) -> dict[str, int]:
    """Raise `OverlapError` if any video seed or id occurs twice across ``dirs``.

    Returns the number of videos per folder when they are disjoint.
    """
    if not dirs:
        raise ValueError("check_disjoint needs at least one folder")
    seen_seed: dict[int, str] = {}
    seen_id: dict[str, str] = {}
    clashes: list[str] = []
    counts: dict[str, int] = {}
    for d in dirs:
        truths = load_truth(d, check_files=False)
        counts[str(d)] = len(truths)
        for t in truths:
            for key, seen, label in ((t["seed"], seen_seed, "seed"), (t["id"], seen_id, "id")):
                if key in seen:
                    clashes.append(f"video {label} {key!r} occurs in {seen[key]} and in {d}")
                else:
                    seen[key] = str(d)
    if clashes:
        shown = "\n  ".join(clashes[:10])
        more = f"\n  ... and {len(clashes) - 10} more" if len(clashes) > 10 else ""
        raise OverlapError(f"{len(clashes)} overlap(s) between world folders:\n  {shown}{more}")
    return counts
