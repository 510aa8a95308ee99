"""Rearrangement: which order of frame numbers restores the shuffled video? Also its
partial-credit scoring (exact match, Kendall's τ)."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sf2t.common.prompts import LETTERS
from sf2t.tasks.base import (
    SPREADS,
    Task,
    TaskSkip,
    check_choices,
    check_distinct_tolerance,
    check_range,
    ordered_positions,
)
from sf2t.video.transforms import PIXEL_THRESHOLD, frames_differ

#: How a rearrangement sample asks (FineVidBench-mini's Rearrangement can ask in these words).
REARRANGEMENT_QUESTION = "These frames of a video are shuffled. Which order of frame numbers restores the video?"


def kendall_tau(pred: Sequence[int], true: Sequence[int]) -> float:
    """Kendall's τ between two orderings of the same items: 1 for the same order, -1 for
    the reverse; the partial credit of a rearrangement answer."""
    pred, true = list(pred), list(true)
    if sorted(pred) != sorted(true) or len(set(true)) != len(true):
        raise ValueError(f"not two orderings of the same distinct items: {pred} vs {true}")
    n = len(true)
    if n < 2:
        return 1.0
    rank = {item: r for r, item in enumerate(pred)}
    ranks = [rank[item] for item in true]
    score = sum(1 if ranks[a] < ranks[b] else -1 for a, b in itertools.combinations(range(n), 2))
    return score / (n * (n - 1) / 2)


def exact_match(pred: Sequence[int], true: Sequence[int]) -> bool:
    return list(pred) == list(true)


def format_order(order: Sequence[int]) -> str:
    return ", ".join(str(k) for k in order)


def parse_order(text: str) -> list[int] | None:
    """The frame numbers in a free-text order answer ("3, 1, 2" or "3 1 2"), or None."""
    numbers = [int(v) for v in re.findall(r"\d+", text)]
    return numbers or None


def rearrangement_credit(record: Mapping[str, Any], letter: str) -> dict[str, Any]:
    """Exact match and Kendall's τ of the order behind ``letter`` against the true order
    of a rearrangement record (τ is -1 for a letter that is not an option)."""
    true = record["meta"]["order"]
    options = record["options"]
    if letter not in LETTERS[: len(options)]:
        return {"exact": False, "tau": -1.0}
    pred = parse_order(options[LETTERS.index(letter)])
    return {"exact": exact_match(pred, true), "tau": kendall_tau(pred, true)}


def rearrangement_options(n: int, k: int, rng: np.random.Generator) -> list[list[int]]:
    """Up to ``k`` candidate orders of frames ``1..n``, in random order: a random centre,
    its one-adjacent-swap near misses, then random orders. Never ``1, 2, ..., n`` (the
    frames are always shuffled) and never two orders that are each other's reverse (a
    video played backwards can look natural, so such a pair could both seem right). At
    most ``n!/2`` orders qualify, so 3 frames get 3 options."""
    identity = tuple(range(1, n + 1))
    k = min(k, math.factorial(n) // 2)
    chosen: list[tuple[int, ...]] = []

    def add(order: tuple[int, ...]) -> None:
        if len(chosen) < k and order != identity and order not in chosen and order[::-1] not in chosen:
            chosen.append(order)

    while not chosen:
        add(tuple(int(v) + 1 for v in rng.permutation(n)))
    centre = chosen[0]
    for i in rng.permutation(n - 1):
        add(centre[:i] + (centre[i + 1], centre[i]) + centre[i + 2 :])
    for _ in range(1000):
        if len(chosen) == k:
            break
        add(tuple(int(v) + 1 for v in rng.permutation(n)))
    else:  # tiny n: fall back to the full list
        for order in itertools.permutations(range(1, n + 1)):
            add(order)
    return [list(chosen[i]) for i in rng.permutation(len(chosen))]


@dataclass(frozen=True)
class Rearrangement(Task):
    """Which order restores the video? ``N`` numbered frames (``num_frames``: the number
    of shuffled frames is the difficulty) shown shuffled; options are orders of frame
    numbers ("3, 1, 2, 4" = Frame 3 comes first), with near misses for partial credit
    (`rearrangement_options`). The option set is drawn first and the true order is a
    uniform member of it; the frames are then shown in the order it implies, so no
    structure of the options (e.g. which one is the centre of the near misses) gives the
    answer away. The frames must be pairwise visibly different, so the answer is unique
    in pixels; ``spread`` as in `Disorder`. Score with `exact_match` and `kendall_tau`."""

    num_frames: tuple[int, int] = (3, 5)
    num_options: int = 4
    pixel_threshold: int = PIXEL_THRESHOLD
    min_changed: float = 0.002
    spread: str = "random"
    name: ClassVar[str] = "rearrangement"

    def __post_init__(self):
        check_range("num_frames", self.num_frames, 3)
        if self.num_frames[1] > len(LETTERS):
            raise ValueError(f"num_frames high must be <= {len(LETTERS)}, got {self.num_frames}")
        if not 2 <= self.num_options <= 6:
            raise ValueError(f"num_options must be in 2..6, got {self.num_options}")
        check_choices("spread", (self.spread,), SPREADS)
        check_distinct_tolerance(self)

    def min_frames(self) -> int:
        return self.num_frames[1]

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        for _attempt in range(8):
            n = int(rng.integers(self.num_frames[0], self.num_frames[1] + 1))
            positions = ordered_positions(num, n, rng, spread=self.spread)
            frames = clip.frames[positions]
            if all(
                frames_differ(frames[a], frames[b], self.pixel_threshold, self.min_changed)
                for a, b in itertools.combinations(range(n), 2)
            ):
                break
        else:
            raise TaskSkip("static", "no window of pairwise visibly different frames")
        orders = rearrangement_options(n, self.num_options, rng)
        p = int(rng.integers(len(orders)))
        # order[r] = the frame number (1-based position shown) holding temporal rank r;
        # perm[t] = the temporal rank shown at position t
        order = orders[p]
        perm = [0] * n
        for rank, number in enumerate(order):
            perm[number - 1] = rank
        return self._sample(
            clip,
            [positions[r] for r in perm],
            question=REARRANGEMENT_QUESTION,
            options=[format_order(o) for o in orders],
            answer=LETTERS[p],
            numbered=True,
            meta={"order": order, "permutation": perm, "positions": positions},
            frames=frames[perm],
        )
