"""The FineVidBench item schema: its constants and `item_problems`, which names every way an
item breaks it.

An item is the shared conversation record (see the team brief) plus ``level``, ``category``
and ``source``. ``frames`` holds the exact source indices in presentation order, the pixel
``transform`` (or null), the playback ``speed`` of a speed variant (or null) and the
``order`` the frames are shown in, so what a model saw can always be replayed.

The categories are our reconstruction of the paper's (see ``docs/method.md`` §3): scene level
Action, Effect, Speed; fragment level Frame Count, Meaning of Order, Frame Comparison,
Adjust or Not, Rearrangement.
"""

from __future__ import annotations

from typing import Any

from sf2t.common.prompts import option_letters

LEVELS = ("scene", "fragment")
SCENE_CATEGORIES = ("Action", "Effect", "Speed")
FRAGMENT_CATEGORIES = ("Frame Count", "Meaning of Order", "Frame Comparison", "Adjust or Not", "Rearrangement")
CATEGORIES = SCENE_CATEGORIES + FRAGMENT_CATEGORIES
LEVEL_OF = {**{c: "scene" for c in SCENE_CATEGORIES}, **{c: "fragment" for c in FRAGMENT_CATEGORIES}}
ORDERS = ("original", "reversed", "shuffled", "swapped", "segment-reversed", "pair")
REQUIRED_FIELDS = ("id", "video", "level", "category", "question", "options", "answer", "frames", "source", "meta")
BENCH_FILE = "finevidbench_mini.jsonl"


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
