"""The FineVidBench item schema: its constants, `item_problems`, which names every way an
item breaks it, and `evaluation_problems`, the part of it any evaluated item (a task item too)
must meet so that putting it to a model cannot crash a run.

An item is the shared conversation record (see the team brief) plus ``level``, ``category``
and ``source``. ``frames`` holds the exact source indices in presentation order, the pixel
``transform`` (or null), the playback ``speed`` of a speed variant (or null) and the
``order`` the frames are shown in, so what a model saw can always be replayed.

The categories are our reconstruction of the paper's (see ``docs/method.md`` §3): scene level
Action, Effect, Speed; fragment level Frame Count, Meaning of Order, Frame Comparison,
Adjust or Not, Rearrangement.

Ids name export files, so they are restricted to a safe character set (`ID_PATTERN`); video
and paste-source paths stay inside the data root; numbers are finite and text is valid
Unicode. Whether frame indices and boxes fit the video itself is checked against the file
(`sf2t.bench.fit`): the loader never decodes.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath
from typing import Any

from sf2t.common.prompts import option_letters
from sf2t.common.records import value_problems

LEVELS = ("scene", "fragment")
SCENE_CATEGORIES = ("Action", "Effect", "Speed")
FRAGMENT_CATEGORIES = ("Frame Count", "Meaning of Order", "Frame Comparison", "Adjust or Not", "Rearrangement")
CATEGORIES = SCENE_CATEGORIES + FRAGMENT_CATEGORIES
LEVEL_OF = {**{c: "scene" for c in SCENE_CATEGORIES}, **{c: "fragment" for c in FRAGMENT_CATEGORIES}}
ORDERS = ("original", "reversed", "shuffled", "swapped", "segment-reversed", "pair")
REQUIRED_FIELDS = ("id", "video", "level", "category", "question", "options", "answer", "frames", "source", "meta")
BENCH_FILE = "finevidbench_mini.jsonl"

#: An id names files of the exports (``clips/<id>.mp4``): letters, digits, ``.``, ``_`` and ``-``
#: only, at most 128 of them, and not ``.`` or ``..``, so no id can point outside a folder.
ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")
#: Longest video path (characters): far above any real one, below every file system's limit.
MAX_PATH_CHARS = 1024
#: Largest frame index: decoders count frames in 32-bit integers.
MAX_FRAME_INDEX = 2**31 - 1
#: The pixel edits `sf2t.video.transforms` applies (repeated here: the loader never imports
#: decoding; a test keeps the two in step).
TRANSFORM_KINDS = ("edit", "paste")
EDIT_OPS = ("move", "recolour", "erase")


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be an item id (None when it can)."""
    if not isinstance(value, str) or ID_PATTERN.fullmatch(value) is None or value in (".", ".."):
        return (
            f"'id' must be 1 to 128 letters, digits, '.', '_' or '-' (no path separators, not '.' or '..'), "
            f"got {ascii(value)[:80]}"
        )
    return None


def evaluation_problems(item: dict[str, Any]) -> list[str]:
    """What keeps ``item`` from being put to a model (empty when nothing does): the fields a
    question needs, values every JSONL file can hold, frames a decoder can be asked for and a
    pixel edit of a known shape. Items of any level (the SF²T task items too) are checked by it."""
    needed = ("id", "video", "question", "options", "answer", "frames")
    problems = [f"missing field {k!r}" for k in needed if k not in item]
    if problems:
        return problems
    for key, value in item.items():
        problems += value_problems(value, str(key))
    if problems:
        return problems
    if not isinstance(item["id"], str) or not item["id"]:
        problems.append("'id' must be a non-empty string")
    problems += _path_problems(item["video"], "'video'")
    if not isinstance(item["question"], str) or not item["question"].strip():
        problems.append("'question' must be a non-empty string")
    options = item["options"]
    if not isinstance(options, list) or not 2 <= len(options) <= 10 or not all(isinstance(o, str) for o in options):
        problems.append("'options' must be a list of 2 to 10 strings")
    else:
        if len(set(options)) != len(options):
            problems.append("'options' repeats an option")
        letters = option_letters(len(options))
        if not isinstance(item["answer"], str) or len(item["answer"]) != 1 or item["answer"] not in letters:
            problems.append(f"'answer' must be one of the letters {''.join(letters)}")
    problems += _frames_problems(item["frames"])
    if "numbered" in item and not isinstance(item["numbered"], bool):
        problems.append("'numbered' must be true or false")
    return problems


def item_problems(item: dict[str, Any]) -> list[str]:
    """Every way ``item`` breaks the FineVidBench schema (empty when it is valid): what
    `evaluation_problems` checks, a safe `id`, and the benchmark's own fields."""
    problems = [f"missing field {k!r}" for k in REQUIRED_FIELDS if k not in item]
    if problems:
        return problems
    problems = evaluation_problems(item)
    if not any(p.startswith("'id'") for p in problems) and (bad_id := id_problem(item["id"])):
        problems.insert(0, bad_id)
    if item["level"] not in LEVELS:
        problems.append(f"'level' must be one of {LEVELS}, got {item['level']!r}")
    if item["category"] not in CATEGORIES:
        problems.append(f"'category' must be one of {CATEGORIES}, got {item['category']!r}")
    elif item["level"] in LEVELS and LEVEL_OF[item["category"]] != item["level"]:
        problems.append(f"category {item['category']!r} belongs to level {LEVEL_OF[item['category']]!r}")
    if not isinstance(item["source"], str):
        problems.append("'source' must be a string")
    if not isinstance(item["meta"], dict):
        problems.append("'meta' must be an object")
    return problems


def _path_problems(value: Any, what: str) -> list[str]:
    """A relative path inside the data root: no absolute path, no ``..``, a bounded length."""
    if not isinstance(value, str) or not value:
        return [f"{what} must be a non-empty path string"]
    if len(value) > MAX_PATH_CHARS:
        return [f"{what} is {len(value)} characters long (at most {MAX_PATH_CHARS})"]
    if "\x00" in value:
        return [f"{what} contains a NUL character"]
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        return [f"{what} {value!r} leads outside the data root (a path under it has no '..' and is not absolute)"]
    return []


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _frames_problems(frames: Any) -> list[str]:
    if not isinstance(frames, dict):
        return ["'frames' must be an object with 'indices'"]
    out = []
    idx = frames.get("indices")
    if not isinstance(idx, list) or not idx or not all(_is_int(i) for i in idx):
        out.append("'frames.indices' must be a non-empty list of integers")
        idx = None
    elif min(idx) < 0:
        out.append("'frames.indices' has a negative index")
    elif max(idx) > MAX_FRAME_INDEX:
        out.append(f"'frames.indices' has index {max(idx)}, above the largest possible ({MAX_FRAME_INDEX})")
    transform = frames.get("transform")
    if transform is not None and not isinstance(transform, dict):
        out.append("'frames.transform' must be null or an object")
    elif transform is not None and idx is not None:
        out += _transform_problems(transform, len(idx))
    speed = frames.get("speed")
    if speed is not None and (
        isinstance(speed, bool) or not isinstance(speed, int | float) or not math.isfinite(speed) or speed <= 0
    ):
        out.append("'frames.speed' must be null or a positive number")
    order = frames.get("order")
    if order is not None and order not in ORDERS:
        out.append(f"'frames.order' must be null or one of {ORDERS}, got {order!r}")
    return out


def _transform_problems(t: dict[str, Any], shown: int) -> list[str]:
    """The shape of a pixel edit (its kind, op, frame positions, boxes, paste source); whether
    its boxes fit the frame is known only from the video (`sf2t.bench.fit`)."""
    at = "'frames.transform"
    kind = t.get("kind")
    if kind not in TRANSFORM_KINDS:
        return [f"{at}.kind' must be one of {TRANSFORM_KINDS}, got {kind!r}"]
    out = []
    if kind == "edit":
        if t.get("op") not in EDIT_OPS:
            out.append(f"{at}.op' must be one of {EDIT_OPS}, got {t.get('op')!r}")
        out += _position_problems([t.get("frame")], shown, f"{at}.frame'")
        out += _box_problems(t.get("box"), f"{at}.box'")
        return out
    source = t.get("source")
    if not isinstance(source, dict):
        return [f"{at}.source' must be an object with video, index and box"]
    out += _path_problems(source.get("video"), f"{at}.source.video'")
    index = source.get("index")
    if not _is_int(index) or not 0 <= index <= MAX_FRAME_INDEX:
        out.append(f"{at}.source.index' must be a frame index, got {index!r}")
    out += _box_problems(source.get("box"), f"{at}.source.box'")
    xy = t.get("at")
    if not (isinstance(xy, list) and len(xy) == 2 and all(_is_int(v) and v >= 0 for v in xy)):
        out.append(f"{at}.at' must be two non-negative integers [x, y], got {xy!r}")
    positions = t.get("frames")
    if not isinstance(positions, list) or not positions:
        out.append(f"{at}.frames' must be a non-empty list of frame positions")
    else:
        out += _position_problems(positions, shown, f"{at}.frames'")
    return out


def _position_problems(positions: list[Any], shown: int, what: str) -> list[str]:
    bad = [p for p in positions if not _is_int(p) or not 0 <= p < shown]
    return [f"{what} must be frame positions in 0..{shown - 1}, got {bad[0]!r}"] if bad else []


def _box_problems(box: Any, what: str) -> list[str]:
    if not (isinstance(box, list) and len(box) == 4 and all(_is_int(v) for v in box)):
        return [f"{what} must be four integers [x0, y0, x1, y1], got {box!r}"]
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 and 0 <= y0 < y1):
        return [f"{what} {box} is empty or has a negative coordinate"]
    return []
