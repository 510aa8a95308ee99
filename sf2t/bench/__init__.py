"""FineVidBench items: the schema, a loader that names every problem, and the statistics table.

An item is the shared conversation record (see the team brief) plus ``level``, ``category``
and ``source``. ``frames`` holds the exact source indices in presentation order, the pixel
``transform`` (or null), the playback ``speed`` of a speed variant (or null) and the
``order`` the frames are shown in, so what a model saw can always be replayed.

The categories are our reconstruction of the paper's (see ``paper.md`` §3): scene level
Action, Effect, Speed; fragment level Frame Count, Meaning of Order, Frame Comparison,
Adjust or Not, Rearrangement. FineVidBench-mini, built from the synthetic world, is made
by `sf2t.bench.build`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.prompts import option_letters
from sf2t.common.records import RecordError, iter_jsonl, resolve_under, write_jsonl

LEVELS = ("scene", "fragment")
SCENE_CATEGORIES = ("Action", "Effect", "Speed")
FRAGMENT_CATEGORIES = ("Frame Count", "Meaning of Order", "Frame Comparison", "Adjust or Not", "Rearrangement")
CATEGORIES = SCENE_CATEGORIES + FRAGMENT_CATEGORIES
LEVEL_OF = {**{c: "scene" for c in SCENE_CATEGORIES}, **{c: "fragment" for c in FRAGMENT_CATEGORIES}}
ORDERS = ("original", "reversed", "shuffled", "swapped", "segment-reversed", "pair")
REQUIRED_FIELDS = ("id", "video", "level", "category", "question", "options", "answer", "frames", "source", "meta")
BENCH_FILE = "finevidbench_mini.jsonl"


# =========================================================================== schema


def item_problems(item: dict[str, Any]) -> list[str]:
    """Every way ``item`` breaks the schema (empty when it is valid)."""
    problems = [f"missing field {k!r}" for k in REQUIRED_FIELDS if k not in item]
    if problems:
        return problems
    if not isinstance(item["id"], str) or not item["id"]:
        problems.append("'id' must be a non-empty string")
    if not isinstance(item["video"], str) or not item["video"]:
        problems.append("'video' must be a non-empty path string")
    if item["level"] not in LEVELS:
        problems.append(f"'level' must be one of {LEVELS}, got {item['level']!r}")
    if item["category"] not in CATEGORIES:
        problems.append(f"'category' must be one of {CATEGORIES}, got {item['category']!r}")
    elif item["level"] in LEVELS and LEVEL_OF[item["category"]] != item["level"]:
        problems.append(f"category {item['category']!r} belongs to level {LEVEL_OF[item['category']]!r}")
    if not isinstance(item["question"], str) or not item["question"].strip():
        problems.append("'question' must be a non-empty string")
    options = item["options"]
    if not isinstance(options, list) or not 2 <= len(options) <= 10 or not all(isinstance(o, str) for o in options):
        problems.append("'options' must be a list of 2 to 10 strings")
    else:
        if len(set(options)) != len(options):
            problems.append("'options' repeats an option")
        if item["answer"] not in option_letters(len(options)):
            problems.append(f"'answer' must be one of the letters {''.join(option_letters(len(options)))}")
    problems += _frames_problems(item["frames"])
    if not isinstance(item["source"], str):
        problems.append("'source' must be a string")
    if not isinstance(item["meta"], dict):
        problems.append("'meta' must be an object")
    if "numbered" in item and not isinstance(item["numbered"], bool):
        problems.append("'numbered' must be true or false")
    return problems


def _frames_problems(frames: Any) -> list[str]:
    if not isinstance(frames, dict):
        return ["'frames' must be an object with 'indices'"]
    out = []
    idx = frames.get("indices")
    if not isinstance(idx, list) or not idx or not all(isinstance(i, int) and not isinstance(i, bool) for i in idx):
        out.append("'frames.indices' must be a non-empty list of integers")
    elif min(idx) < 0:
        out.append("'frames.indices' has a negative index")
    if frames.get("transform") is not None and not isinstance(frames["transform"], dict):
        out.append("'frames.transform' must be null or an object")
    speed = frames.get("speed")
    if speed is not None and (isinstance(speed, bool) or not isinstance(speed, int | float) or speed <= 0):
        out.append("'frames.speed' must be null or a positive number")
    order = frames.get("order")
    if order is not None and order not in ORDERS:
        out.append(f"'frames.order' must be null or one of {ORDERS}, got {order!r}")
    return out


# =========================================================================== loading


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


# =========================================================================== statistics


def bench_stats(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per category, then one per level and a total: videos, questions, questions
    per video, options per question and the answer-letter spread."""
    rows = []

    def row(level: str, category: str, group: list[dict]) -> dict[str, Any]:
        letters = Counter(it["answer"] for it in group)
        return {
            "level": level,
            "category": category,
            "videos": len({it["video"] for it in group}),
            "questions": len(group),
            "questions_per_video": round(len(group) / max(1, len({it["video"] for it in group})), 2),
            "mean_options": round(float(np.mean([len(it["options"]) for it in group])), 2) if group else 0.0,
            "answer_letters": " ".join(f"{k}:{letters[k]}" for k in sorted(letters)),
        }

    for category in CATEGORIES:
        group = [it for it in items if it["category"] == category]
        rows.append(row(LEVEL_OF[category], category, group))
    for level in LEVELS:
        rows.append(row(level, "all", [it for it in items if it["level"] == level]))
    rows.append(row("all", "all", list(items)))
    return rows


def spread_subset(items: Sequence[dict[str, Any]], per_category: int) -> list[dict[str, Any]]:
    """``per_category`` items of each category, as many with each answer letter as the bench
    allows, evenly spaced through the bench (so they come from many videos), in bench order.

    Balanced over answer letters because a small subset spaced by position alone can skew them
    (the builder alternates letters in patterns), and then a model that always says one letter
    scores far above chance: an earlier unbalanced subset did exactly that (results/experiment/README.md).
    """
    keep = set()
    for category in CATEGORIES:
        by_letter: dict[str, list[str]] = {}
        for it in items:
            if it["category"] == category:
                by_letter.setdefault(it["answer"], []).append(it["id"])
        quota = _letter_quota({a: len(v) for a, v in sorted(by_letter.items())}, per_category)
        for letter, k in quota.items():
            ids = by_letter[letter]
            keep |= {ids[(2 * i + 1) * len(ids) // (2 * k)] for i in range(k)}  # centres of k equal spans
    return [it for it in items if it["id"] in keep]


def _letter_quota(available: dict[str, int], total: int) -> dict[str, int]:
    """Split ``total`` as evenly as possible over the letters, never more than a letter has."""
    quota = dict.fromkeys(available, 0)
    left = min(total, sum(available.values()))
    while left:
        open_letters = [a for a in available if quota[a] < available[a]]
        for a in open_letters[:left]:
            quota[a] += 1
        left -= min(left, len(open_letters))
    return quota


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    cols = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(str(r[c]).ljust(w) for c, w in zip(cols, widths, strict=True)) for r in rows]
    return "\n".join(lines)


__all__ = [
    "CATEGORIES",
    "FRAGMENT_CATEGORIES",
    "LEVELS",
    "LEVEL_OF",
    "SCENE_CATEGORIES",
    "SkippedItem",
    "bench_stats",
    "item_problems",
    "load_bench",
    "save_bench",
    "spread_subset",
    "validate",
]
