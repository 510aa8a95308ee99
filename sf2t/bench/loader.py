"""Reading and writing bench files: `validate` and `load_bench` name every bad line (and skip
items whose video is missing), `save_bench` refuses to write an item that breaks the schema."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sf2t.bench.schema import item_problems
from sf2t.common.records import RecordError, iter_jsonl, resolve_under, write_jsonl


@dataclass(frozen=True)
class SkippedItem:
    """An item that is valid but cannot be evaluated (its video is missing)."""

    line: int
    id: str
    video: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: item {self.id!r} skipped: {self.reason}"


def _scan(path: str | os.PathLike, videos_root: str | os.PathLike | None):
    """One pass over a bench file: (items with line numbers, errors, skipped)."""
    items: list[tuple[int, dict]] = []
    errors: list[tuple[int, str]] = []
    skipped: list[SkippedItem] = []
    seen: dict[str, int] = {}
    for n, rec, err in iter_jsonl(path):
        if err is not None:
            errors.append((n, err))
            continue
        problems = item_problems(rec)
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
                if not video_path.is_file():
                    skipped.append(SkippedItem(n, rec["id"], rec["video"], f"video {video_path} does not exist"))
                    continue
        if problems:
            errors.append((n, "; ".join(problems)))
        else:
            items.append((n, rec))
    return items, errors, skipped


def validate(path: str | os.PathLike, videos_root: str | os.PathLike | None = None) -> list[str]:
    """Every problem of a bench file as readable lines (empty when it is clean): malformed
    lines, schema violations, duplicate ids, paths leaving the data root, missing videos."""
    _, errors, skipped = _scan(path, videos_root)
    return [f"{path}: line {n}: {msg}" for n, msg in errors] + [f"{path}: {s}" for s in skipped]


def load_bench(
    path: str | os.PathLike, videos_root: str | os.PathLike | None = None
) -> tuple[list[dict[str, Any]], list[SkippedItem]]:
    """Items of a bench file whose videos exist, and the items skipped for a missing video.

    Malformed lines, schema violations, duplicate ids and video paths that resolve outside
    ``videos_root`` (default: the file's folder) raise one `RecordError` naming every line.
    """
    videos_root = Path(path).parent if videos_root is None else videos_root
    items, errors, skipped = _scan(path, videos_root)
    if errors:
        raise RecordError(path, errors)
    return [rec for _, rec in items], skipped


def save_bench(items: Iterable[dict[str, Any]], path: str | os.PathLike) -> int:
    """Write items as canonical JSONL after checking each one (a builder bug fails here,
    not in somebody's evaluation)."""
    items = list(items)
    bad = [(i + 1, "; ".join(p)) for i, it in enumerate(items) if (p := item_problems(it))]
    if bad:
        raise RecordError(path, bad)
    return write_jsonl(path, items)
