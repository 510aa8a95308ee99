"""Counting: how many frames does the video show?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sf2t.common.prompts import LETTERS
from sf2t.tasks.base import Task, check_range, countable_frame_counts, ordered_positions


@dataclass(frozen=True)
class Counting(Task):
    """How many frames? ``N`` frames in temporal order, shown as a video (not numbered:
    numbers would give the count away). The options are a window of ``num_options``
    consecutive countable counts inside ``num_frames``, drawn first; the true count is a
    uniform member of it, so neither its letter nor the window's place in the range gives
    it away (counts near the middle of the range are drawn more often). With
    ``temporal_merge=m`` only multiples of ``m`` are counts (see `received_frames`), the
    options too, so parity never gives the answer away."""

    num_frames: tuple[int, int] = (4, 16)
    num_options: int = 4
    temporal_merge: int = 1
    name: ClassVar[str] = "counting"

    def __post_init__(self):
        check_range("num_frames", self.num_frames, 1)
        if not 2 <= self.num_options <= len(LETTERS):
            raise ValueError(f"num_options must be in 2..{len(LETTERS)}, got {self.num_options}")
        if self.temporal_merge < 1:
            raise ValueError(f"temporal_merge must be >= 1, got {self.temporal_merge}")
        countable = countable_frame_counts(*self.num_frames, self.temporal_merge)
        if len(countable) < self.num_options:
            raise ValueError(
                f"num_frames {self.num_frames} holds {len(countable)} multiple(s) of temporal_merge="
                f"{self.temporal_merge}, fewer than num_options={self.num_options}"
            )

    def min_frames(self) -> int:
        return max(countable_frame_counts(*self.num_frames, self.temporal_merge))

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        countable = countable_frame_counts(*self.num_frames, self.temporal_merge)
        start = int(rng.integers(len(countable) - self.num_options + 1))
        values = countable[start : start + self.num_options]
        p = int(rng.integers(self.num_options))
        count = values[p]
        positions = ordered_positions(num, count, rng, longest=countable[-1])
        return self._sample(
            clip,
            positions,
            question="How many frames are in this video?",
            options=[str(v) for v in values],
            answer=LETTERS[p],
            numbered=False,
            meta={
                "count": count,
                "temporal_merge": self.temporal_merge,
                "positions": positions,
                "option_values": values,
            },
        )
