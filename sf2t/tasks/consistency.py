"""Consistency verification: are two frames identical, and if not, where do they differ?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sf2t.tasks.base import Task, binary, check_choices, check_range, pick, place_answer, texture_box
from sf2t.video.transforms import (
    EDIT_OPS,
    PIXEL_THRESHOLD,
    QUADRANTS,
    apply_transform,
    differing_quadrants,
    quadrant_slices,
)

CONSISTENCY_OPTIONS: dict[str, str] = {
    "identical": "They are identical",
    "top-left": "They differ in the top-left quarter",
    "top-right": "They differ in the top-right quarter",
    "bottom-left": "They differ in the bottom-left quarter",
    "bottom-right": "They differ in the bottom-right quarter",
    "several": "They differ in more than one quarter",
}


def consistency_label(a: np.ndarray, b: np.ndarray, threshold: int, min_fraction: float) -> tuple[str, list[str]]:
    """The consistency answer computed from pixels: ``"identical"``, one quadrant, or
    ``"several"``; plus the list of differing quadrants."""
    regions = differing_quadrants(a, b, threshold, min_fraction)
    if not regions:
        return "identical", regions
    return (regions[0] if len(regions) == 1 else "several"), regions


def _median_colour(frame: np.ndarray) -> list[int]:
    return [int(v) for v in np.median(frame.reshape(-1, 3), axis=0)]


@dataclass(frozen=True)
class Consistency(Task):
    """Are two frames identical, and if not, where do they differ? Half the samples show
    one frame twice (before labelling); the other half show either the frame and a copy
    with a small local edit (probability ``edit_prob``; a patch moved, recoloured or
    erased, ``edit_size`` times the short side, inside one quadrant) or two frames
    ``gap`` decoded frames apart. The answer is computed from the pixels
    (`consistency_label`), so two pixel-identical frames of a static video are labelled
    identical. Six options in random order; ``numbered`` since the question names
    Frame 1 and Frame 2."""

    gap: tuple[int, int] = (1, 8)
    edit_size: tuple[float, float] = (0.1, 0.2)
    edit_ops: tuple[str, ...] = EDIT_OPS
    edit_prob: float = 0.5
    pixel_threshold: int = PIXEL_THRESHOLD
    min_changed: float = 0.005
    name: ClassVar[str] = "consistency"

    def __post_init__(self):
        check_range("gap", self.gap, 1)
        check_range("edit_size", self.edit_size, 0.01, float)
        if self.edit_size[1] > 0.4:
            raise ValueError(f"edit_size must fit in a quadrant (high <= 0.4), got {self.edit_size}")
        check_choices("edit_ops", self.edit_ops, EDIT_OPS)
        if not 0 <= self.edit_prob <= 1:
            raise ValueError(f"edit_prob must be in [0, 1], got {self.edit_prob}")
        if not 0 <= self.pixel_threshold < 255 or not 0 < self.min_changed < 1:
            raise ValueError("pixel_threshold must be in [0, 255) and min_changed in (0, 1)")

    def min_frames(self) -> int:
        return self.gap[1] + 1

    def _edit(self, frame: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        """A local edit inside one random quadrant, retried until it is visible there."""
        height, width = frame.shape[:2]
        quads = quadrant_slices(height, width)
        quad_side = min(height // 2, width // 2)
        transform = None
        for attempt in range(8):
            quadrant = pick(rng, QUADRANTS)
            op = pick(rng, self.edit_ops) if attempt < 6 else "recolour"
            size = int(round(rng.uniform(*self.edit_size) * min(height, width)))
            size = max(2, min(size, quad_side // 2 if op == "move" else quad_side))
            rows, cols = quads[quadrant]
            box = texture_box(frame, size, (rows, cols), rng)
            if op == "recolour":
                shift = [int(s) * int(rng.choice([-1, 1])) for s in rng.integers(64, 193, size=3)]
                transform = {"kind": "edit", "frame": 1, "op": op, "box": box, "shift": shift}
            elif op == "erase":
                transform = {"kind": "edit", "frame": 1, "op": op, "box": box, "fill": _median_colour(frame)}
            else:  # move by at least half the box, staying inside the quadrant
                x0, y0, x1, y1 = box
                dxs = [d for d in range(cols.start - x0, cols.stop - x1 + 1) if abs(d) >= size // 2]
                dys = [d for d in range(rows.start - y0, rows.stop - y1 + 1)]
                if not dxs:
                    continue
                offset = [int(pick(rng, dxs)), int(pick(rng, dys))]
                fill = _median_colour(frame)
                transform = {"kind": "edit", "frame": 1, "op": op, "box": box, "offset": offset, "fill": fill}
            edited = apply_transform(np.stack([frame, frame]), transform)[1]
            if differing_quadrants(frame, edited, self.pixel_threshold, self.min_changed) == [quadrant]:
                break
        return transform

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        transform = None
        if binary(slot, rng):
            kind = "same"
            p = int(rng.integers(num))
            positions = [p, p]
        elif rng.random() < self.edit_prob:
            kind = "edit"
            p = int(rng.integers(num))
            positions = [p, p]
            transform = self._edit(clip.frames[p], rng)
        else:
            kind = "gap"
            g = int(rng.integers(self.gap[0], self.gap[1] + 1))
            p = int(rng.integers(num - g))
            positions = [p, p + g]
        frames = apply_transform(clip.frames[positions], transform)
        label, regions = consistency_label(frames[0], frames[1], self.pixel_threshold, self.min_changed)
        options, letter = place_answer(
            CONSISTENCY_OPTIONS[label], [v for k, v in CONSISTENCY_OPTIONS.items() if k != label], rng
        )
        return self._sample(
            clip,
            positions,
            question="Are Frame 1 and Frame 2 identical? If not, where do they differ?",
            options=options,
            answer=letter,
            numbered=True,
            meta={
                "kind": kind,
                "label": label,
                "regions": regions,
                "positions": positions,
                "pixel_threshold": self.pixel_threshold,
                "min_changed": self.min_changed,
            },
            transform=transform,
            frames=frames,
        )
