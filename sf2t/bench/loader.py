"""Reading and writing bench files: `validate` and `load_bench` name every bad line (and skip
items whose video is missing), `save_bench` refuses to write an item that breaks the schema.

A bad line is one of: not UTF-8, not JSON, an item breaking the schema (`item_problems`), a
duplicate id, a video path leaving the data root or unresolvable, and, given a ``check`` such
as `sf2t.bench.fit.VideoFit`, an item that does not fit its video. `load_bench` raises one
`RecordError` naming them all, or with ``skip_invalid`` returns them as `SkippedItem` beside
the good items (evaluation skips what it cannot ask and says so; see `sf2t evaluate`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sf2t.bench.schema import item_problems
from sf2t.common.records import RecordError, iter_jsonl, printable, resolve_under, write_jsonl

#: Why an item was skipped, in words short enough to group a report by.
MISSING_VIDEO = "missing video"
MALFORMED_LINE = "malformed line"
INVALID_ITEM = "invalid item"
DOES_NOT_FIT = "failed the check against its video"

#: A check of an item against its video (`sf2t.bench.fit.VideoFit`): its problems, or none.
ItemCheck = Callable[[dict[str, Any]], list[str]]


@dataclass(frozen=True)
class SkippedItem:
    """An item that cannot be evaluated: its video is missing, or (loaded with
    ``skip_invalid``) its line is malformed or the item invalid. ``id`` and ``video`` are None
    when the line does not give them."""

    line: int
    id: str | None
    video: str | None
    reason: str
    kind: str = MISSING_VIDEO

    def __str__(self) -> str:
        what = f"line {self.line}: item {self.id!r}" if self.id is not None else f"line {self.line}"
        return f"{what} skipped: {self.reason}"


def _missing(path: Path) -> str | None:
    """Why the video at ``path`` cannot be opened as a file, or None."""
    try:
        if path.is_file():
            return None
        return f"video {path} is not a file" if path.exists() else f"video {path} does not exist"
    except OSError as exc:
        return f"video {path} cannot be checked ({exc.strerror or exc})"


def _scan(
    path: str | os.PathLike,
    videos_root: str | os.PathLike | None,
    check: ItemCheck | None = None,
    limit: int | None = None,
):
    """One pass over (the first ``limit`` records of) a bench file: (items with line numbers,
    errors as (line, message, kind, record or None), skipped)."""
    items: list[tuple[int, dict]] = []
    errors: list[tuple[int, str, str, dict | None]] = []
    skipped: list[SkippedItem] = []
    seen: dict[str, int] = {}
    for count, (n, rec, err) in enumerate(iter_jsonl(path)):
        if limit is not None and count >= limit:
            break
        if err is not None:
            errors.append((n, err, MALFORMED_LINE, None))
            continue
        problems = item_problems(rec)
        kind = INVALID_ITEM
        if not problems:
            if rec["id"] in seen:
                problems.append(f"duplicate id {rec['id']!r} (first on line {seen[rec['id']]})")
            else:
                seen[rec["id"]] = n
        if not problems and videos_root is not None:
            try:
                video_path = resolve_under(videos_root, rec["video"])
            except ValueError as exc:
                problems.append(f"video refused: {exc}")
            else:
                if (why := _missing(video_path)) is not None:
                    skipped.append(SkippedItem(n, rec["id"], rec["video"], why))
                    continue
                if check is not None:
                    problems, kind = check(rec), DOES_NOT_FIT
        if problems:
            errors.append((n, "; ".join(problems), kind, rec))
        else:
            items.append((n, rec))
    return items, errors, skipped


def validate(
    path: str | os.PathLike, videos_root: str | os.PathLike | None = None, check: ItemCheck | None = None
) -> list[str]:
    """Every problem of a bench file as readable lines (empty when it is clean): unreadable or
    malformed lines, schema violations, duplicate ids, paths leaving the data root, missing
    videos, and with ``check`` items that do not fit their videos."""
    try:
        _, errors, skipped = _scan(path, videos_root, check)
    except RecordError as exc:  # the file itself cannot be read
        return [str(exc)]
    return [f"{path}: line {n}: {msg}" for n, msg, _, _ in errors] + [f"{path}: {s}" for s in skipped]


def load_bench(
    path: str | os.PathLike,
    videos_root: str | os.PathLike | None = None,
    *,
    check: ItemCheck | None = None,
    skip_invalid: bool = False,
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], list[SkippedItem]]:
    """Items of a bench file whose videos exist, and the items skipped for a missing video.

    Malformed lines, schema violations, duplicate ids, video paths that resolve outside
    ``videos_root`` (default: the file's folder) and items failing ``check`` raise one
    `RecordError` naming every line; with ``skip_invalid`` they are skipped too (each a
    `SkippedItem` with its line and reason). ``limit`` reads only the first records.
    """
    videos_root = Path(path).parent if videos_root is None else videos_root
    items, errors, skipped = _scan(path, videos_root, check, limit)
    if errors and not skip_invalid:
        raise RecordError(path, [(n, msg) for n, msg, _, _ in errors])
    for n, msg, kind, rec in errors:
        rec = rec or {}
        skipped.append(SkippedItem(n, printable(rec.get("id")), printable(rec.get("video")), msg, kind))
    skipped.sort(key=lambda s: s.line)
    return [rec for _, rec in items], skipped


def save_bench(items: Iterable[dict[str, Any]], path: str | os.PathLike) -> int:
    """Write items as canonical JSONL after checking each one (a builder bug fails here,
    not in somebody's evaluation)."""
    items = list(items)
    bad = [(i + 1, "; ".join(p)) for i, it in enumerate(items) if (p := item_problems(it))]
    if bad:
        raise RecordError(path, bad)
    return write_jsonl(path, items)
