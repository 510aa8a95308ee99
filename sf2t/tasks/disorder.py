"""Disorder detection: are the frames in the correct temporal order?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sf2t.tasks.base import (
    SPREADS,
    Task,
    TaskSkip,
    binary,
    check_choices,
    check_distinct_tolerance,
    check_range,
    ordered_positions,
    pick,
)
from sf2t.video.transforms import PIXEL_THRESHOLD, frames_differ

#: How a disorder sample asks and answers (FineVidBench-mini's Adjust or Not can ask in these words).
DISORDER_QUESTION = "Are these frames in the correct temporal order?"
DISORDER_OPTIONS = ("Yes", "No")

DISORDER_PERTURBATIONS: tuple[str, ...] = ("swap", "reverse", "shuffle")


def perturb_order(kind: str, n: int, rng: np.random.Generator) -> list[int]:
    """A permutation of ``range(n)`` (``perm[t]`` = temporal rank shown at position t) of
    the given kind, never the identity and never the full reversal (a reversed video
    can look like a natural one, e.g. an object moving the other way)."""
    if n < 3:
        raise ValueError(f"an order perturbation needs at least 3 frames, got {n}")
    while True:
        perm = list(range(n))
        if kind == "swap":
            i, j = (int(v) for v in rng.choice(n, size=2, replace=False))
            perm[i], perm[j] = perm[j], perm[i]
        elif kind == "reverse":
            length = int(rng.integers(2, n))
            start = int(rng.integers(0, n - length + 1))
            perm[start : start + length] = perm[start : start + length][::-1]
        elif kind == "shuffle":
            perm = [int(v) for v in rng.permutation(n)]
        else:
            raise ValueError(f"unknown perturbation {kind!r}; choose one of {DISORDER_PERTURBATIONS}")
        if perm != list(range(n)) and perm != list(range(n))[::-1]:
            return perm


@dataclass(frozen=True)
class Disorder(Task):
    """Are the frames in the correct order? ``N`` frames shown as a video, in order or
    perturbed by one of ``perturbations`` (swap two frames / reverse a segment / full
    shuffle: the difficulty). The two classes alternate with the writer's slot (exactly
    balanced); ``spread`` is how the shown frames sit in the clip (`SPREADS`: "full"
    spans it, which makes order easiest to see). A perturbation only counts if it moves
    visibly different frames (pixels, `frames_differ`); a static clip that allows none is
    skipped. Options Yes / No."""

    num_frames: tuple[int, int] = (4, 8)
    perturbations: tuple[str, ...] = DISORDER_PERTURBATIONS
    pixel_threshold: int = PIXEL_THRESHOLD
    min_changed: float = 0.002
    spread: str = "random"
    name: ClassVar[str] = "disorder"

    def __post_init__(self):
        check_range("num_frames", self.num_frames, 3)
        check_choices("perturbations", self.perturbations, DISORDER_PERTURBATIONS)
        check_choices("spread", (self.spread,), SPREADS)
        check_distinct_tolerance(self)

    def min_frames(self) -> int:
        return self.num_frames[1]

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        in_order = binary(slot, rng)
        for _attempt in range(8):
            n = int(rng.integers(self.num_frames[0], self.num_frames[1] + 1))
            positions = ordered_positions(num, n, rng, spread=self.spread)
            frames = clip.frames[positions]
            if in_order:
                kind, perm = None, list(range(n))
                break
            kind = pick(rng, self.perturbations)
            perm = perturb_order(kind, n, rng)
            moved = [t for t in range(n) if perm[t] != t]
            if any(frames_differ(frames[perm[t]], frames[t], self.pixel_threshold, self.min_changed) for t in moved):
                break
        else:
            raise TaskSkip("static", "no perturbation moved visibly different frames")
        shown = [positions[r] for r in perm]
        return self._sample(
            clip,
            shown,
            question=DISORDER_QUESTION,
            options=list(DISORDER_OPTIONS),
            answer="A" if in_order else "B",
            numbered=False,
            meta={"in_order": in_order, "perturbation": kind, "permutation": perm, "positions": positions},
            frames=frames[perm],
        )
