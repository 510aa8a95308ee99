"""One video's ground truth as the question makers see it (`_Video`, with the box geometry
they need) and the question draft they make of it (`_Draft`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class _Draft:
    """A question before its options are ordered: the answer text and its distractors."""

    category: str
    question: str
    answer: str
    distractors: list[str]
    indices: list[int]
    order: str = "original"
    speed: float | None = None
    numbered: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


class _Video:
    """Ground truth of one video with the geometry the question makers need."""

    def __init__(self, truth: dict[str, Any]):
        self.truth = truth
        self.id = truth["id"]
        self.total = int(truth["num_frames"])
        self.width, self.height = int(truth["width"]), int(truth["height"])
        self.actor = int(truth["actor"])
        self.action = truth["action"]
        self.objects = truth["objects"]
        self.boxes = [frame[self.actor] for frame in truth["boxes"]]
        if len(self.boxes) != self.total:
            raise ValueError(f"truth {self.id}: {len(self.boxes)} box rows for {self.total} frames")

    def name(self, i: int | None = None) -> str | None:
        """ "the red circle", or None when another object has the same colour and shape."""
        obj = self.objects[self.actor if i is None else i]
        same = [o for o in self.objects if o["color"] == obj["color"] and o["shape"] == obj["shape"]]
        return f"the {obj['color']} {obj['shape']}" if len(same) == 1 else None

    def changes(self) -> list[int]:
        """Frames whose actor box differs from the previous frame's (visible geometric change)."""
        return [t for t in range(1, self.total) if self.boxes[t] != self.boxes[t - 1]]

    def motion_span(self) -> tuple[int, int] | None:
        ch = self.changes()
        return (ch[0] - 1, ch[-1]) if ch else None

    def moves(self, min_px: float) -> bool:
        visible = [b for b in self.boxes if b is not None]
        if len(visible) < 2:
            return False
        c = np.array([_center(b) for b in visible])
        return float(np.abs(c - c[0]).max()) >= min_px

    def region(self, box, margin: float) -> tuple[int, int] | None:
        """The 3×3 region of a box centre, or None when it sits within ``margin`` of a border
        between regions (where a viewer could not tell)."""
        cx, cy = _center(box)
        out = []
        for v, size in ((cx, self.width), (cy, self.height)):
            f = v / size
            if not 0 <= f <= 1:
                return None
            if min(abs(f - 1 / 3), abs(f - 2 / 3)) < margin:
                return None
            out.append(0 if f < 1 / 3 else 1 if f < 2 / 3 else 2)
        return out[0], out[1]


def _center(box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def _area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _box_change(b1, b2, min_px: float) -> str | None:
    """The one kind of change between two boxes of an object, or None if there is none or
    more than one kind (an ambiguous comparison is not asked)."""
    if b1 is None and b2 is None:
        return None
    if b1 is None:
        return "appeared"
    if b2 is None:
        return "vanished"
    kinds = []
    a1, a2 = _area(b1), _area(b2)
    if a1 > 0 and a2 / a1 >= 1.15:
        kinds.append("bigger")
    elif a1 > 0 and a2 / a1 <= 1 / 1.15:
        kinds.append("smaller")
    (x1, y1), (x2, y2) = _center(b1), _center(b2)
    dx, dy = x2 - x1, y2 - y1
    if max(abs(dx), abs(dy)) >= min_px:
        if abs(dx) >= 2 * abs(dy):
            kinds.append("left" if dx < 0 else "right")
        elif abs(dy) >= 2 * abs(dx):
            kinds.append("up" if dy < 0 else "down")
        else:
            return None  # diagonal: neither direction word is exactly right
    return kinds[0] if len(kinds) == 1 else None
