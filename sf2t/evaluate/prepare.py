"""What of a run's items can be put to a model, and the frames of those that can.

`evaluable` splits the items a run is given into those it can ask and those it records as
skipped (`sf2t.bench.evaluation_problems`: NaN, lone surrogates, unknown edits, paths leaving
the root, ...; a repeated id), so a bad item never reaches a model or a records file.
`clip_frames` gives every item on one video its exact frames, decoding the video once; when
that fails it goes item by item, so one bad item (a frame the file lacks, an edit outside the
frame, an undecodable paste source) costs only itself. Skipped items are plain records
(``line``, ``id``, ``video``, ``reason``, ``kind``) for the aggregate's ``skipped``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from sf2t.bench import SkippedItem, evaluation_problems
from sf2t.common.records import printable
from sf2t.video import VideoError
from sf2t.video.transforms import ClipFrames

INVALID_ITEM = "invalid item"
UNDECODABLE = "video cannot be decoded"
NO_FRAMES = "frames cannot be made"


def skip_record(item: Any, reason: str, kind: str, line: int | None = None) -> dict[str, Any]:
    """One entry of an aggregate's ``skipped`` (text any file can hold)."""
    get = item.get if isinstance(item, dict) else (lambda _key: None)
    return {
        "line": line,
        "id": printable(get("id")),
        "video": printable(get("video")),
        "reason": printable(reason, 500),
        "kind": kind,
    }


def loader_skips(skipped: Sequence[SkippedItem]) -> list[dict[str, Any]]:
    """The loader's skipped items as aggregate entries."""
    return [
        {"line": s.line, "id": s.id, "video": s.video, "reason": printable(s.reason, 500), "kind": s.kind}
        for s in skipped
    ]


def evaluable(items: Sequence[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items a model can be asked, in order; skip entries for the rest)."""
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        problems = evaluation_problems(item) if isinstance(item, dict) else ["not an object"]
        if not problems and item["id"] in seen:
            problems = [f"duplicate id {item['id']!r}"]
        if problems:
            bad.append(skip_record(item, "; ".join(problems), INVALID_ITEM))
        else:
            seen.add(item["id"])
            good.append(item)
    return good, bad


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, VideoError | ValueError) else f"{type(exc).__name__}: {exc}"


def clip_frames(
    videos_root: str | os.PathLike, video: str, group: Sequence[dict[str, Any]], blind: bool
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
    """(id -> exact frames for the items of ``group`` that can be shown; id -> skip entry for
    the others). Any failure is the item's: hostile data must not end the run."""
    try:
        shared: ClipFrames | None = ClipFrames(videos_root, video, group, blind)
    except Exception:  # which items are at fault is found item by item below
        shared = None
    frames: dict[str, np.ndarray] = {}
    failed: dict[str, dict[str, Any]] = {}
    for item in group:
        try:
            clip = shared if shared is not None else ClipFrames(videos_root, video, [item], blind)
            frames[item["id"]] = clip.for_item(item)
        except Exception as exc:  # recorded as the item's reason, never a crash
            kind = UNDECODABLE if isinstance(exc, VideoError) else NO_FRAMES
            failed[item["id"]] = skip_record(item, _reason(exc), kind)
    return frames, failed
