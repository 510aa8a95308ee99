"""Localization: in which frames has a foreign patch (cut from another video) been pasted?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sf2t.common.prompts import LETTERS
from sf2t.tasks.base import Task, TaskSkip, check_choices, check_range, ordered_positions, pick, texture_box
from sf2t.video import Clip
from sf2t.video.transforms import apply_transform, changed_mask

LOCALIZATION_QUERIES: dict[str, str] = {
    "appear": "In which frame does the patch first appear?",
    "disappear": "In which frame is the patch visible for the last time?",
    "persist": "In which frames is the patch visible?",
}


def _frame_word(n: int) -> str:
    return f"Frame {n}"


def _span_text(first: int, last: int) -> str:
    return _frame_word(first) if first == last else f"Frames {first}-{last}"


@dataclass(frozen=True)
class Localization(Task):
    """In which frames is a foreign patch? A square patch (``patch_size`` times the short
    side) is cut from a ``donor`` clip (another video) and pasted at one place into
    numbered frames i..j (at least one of the N frames stays clean). Without a donor the
    patch is cut from a distant frame and another place of the same clip, so a single
    video still works. A ``outline``-pixel black or white border (whichever contrasts with
    the covered region) marks the patch; every patched frame is checked to differ
    visibly. Queries: first appearance, last appearance, the span (``queries``). Options
    are drawn before the answer (see `_plan`), so early or late frame numbers, or a
    span's place among its neighbours, say nothing about which option is right."""

    num_frames: tuple[int, int] = (4, 8)
    patch_size: tuple[float, float] = (0.2, 0.35)
    queries: tuple[str, ...] = tuple(LOCALIZATION_QUERIES)
    num_options: int = 4
    outline: int = 1
    min_visible: float = 0.2
    name: ClassVar[str] = "localization"

    def __post_init__(self):
        check_range("num_frames", self.num_frames, 2)
        check_range("patch_size", self.patch_size, 0.02, float)
        if self.patch_size[1] > 0.5:
            raise ValueError(f"patch_size high must be <= 0.5, got {self.patch_size}")
        check_choices("queries", self.queries, tuple(LOCALIZATION_QUERIES))
        if not 2 <= self.num_options <= self.num_frames[0]:
            raise ValueError(f"num_options must be in 2..num_frames low ({self.num_frames[0]}), got {self.num_options}")
        if self.outline < 0 or not 0 < self.min_visible <= 1:
            raise ValueError("outline must be >= 0 and min_visible in (0, 1]")

    def min_frames(self) -> int:
        return self.num_frames[1]

    def _donor_frame(self, clip, donor, positions, rng) -> tuple[Clip, int, str]:
        if donor is not None and len(donor) and donor.path != clip.path:
            return donor, int(rng.integers(len(donor))), "other"
        outside = [p for p in range(len(clip)) if p < positions[0] or p > positions[-1]]
        far = outside or [positions[0] if rng.random() < 0.5 else positions[-1]]
        return clip, int(pick(rng, far)), "self"

    def _plan(self, query: str, n: int, rng: np.random.Generator) -> tuple[int, int, list[str], str]:
        """``(first, last, options, letter)``: the options are drawn first (a window of
        consecutive frame numbers, or the spans nearest a random span), the answer is a
        uniform member, and the patched span (1-based, never all ``n`` frames) follows."""
        k = self.num_options
        if query == "persist":
            valid = [(a, b) for a in range(1, n + 1) for b in range(a, n + 1) if (a, b) != (1, n)]
            ca, cb = pick(rng, valid)
            near = sorted(sorted(valid, key=lambda s: (abs(s[0] - ca) + abs(s[1] - cb), rng.random()))[:k])
            p = int(rng.integers(k))
            first, last = near[p]
            return first, last, [_span_text(*span) for span in near], LETTERS[p]
        start = int(rng.integers(1, n - k + 2))
        p = int(rng.integers(k))
        target = start + p
        if query == "appear":
            first, last = target, int(rng.integers(target, n + (target > 1)))
        else:
            last = target
            first = int(rng.integers(1 + (last == n), last + 1))
        return first, last, [_frame_word(v) for v in range(start, start + k)], LETTERS[p]

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        n = int(rng.integers(self.num_frames[0], self.num_frames[1] + 1))
        query = pick(rng, self.queries)
        first, last, options, letter = self._plan(query, n, rng)
        pasted = list(range(first - 1, last))
        for _attempt in range(6):
            positions = ordered_positions(num, n, rng)
            source, source_pos, donor_kind = self._donor_frame(clip, donor, positions, rng)
            donor_frame = source.frames[source_pos]
            height, width = clip.frames.shape[1:3]
            size = int(round(rng.uniform(*self.patch_size) * min(height, width)))
            size = max(4, min(size, *donor_frame.shape[:2]))
            dh, dw = donor_frame.shape[:2]
            src_box = texture_box(donor_frame, size, (slice(0, dh), slice(0, dw)), rng)
            x, y = int(rng.integers(0, width - size + 1)), int(rng.integers(0, height - size + 1))
            raw = clip.frames[positions]
            covered = raw[pasted, y : y + size, x : x + size]
            colour = [0, 0, 0] if covered.mean() > 127 else [255, 255, 255]
            transform = {
                "kind": "paste",
                "source": {"video": source.path, "index": int(source.indices[source_pos]), "box": src_box},
                "at": [x, y],
                "frames": pasted,
                "outline": {"width": self.outline, "color": colour} if self.outline else None,
            }
            frames = apply_transform(raw, transform, donor_frame=donor_frame)
            visible = all(
                changed_mask(frames[p, y : y + size, x : x + size], raw[p, y : y + size, x : x + size]).mean()
                >= self.min_visible
                for p in pasted
            )
            if visible:
                break
        else:
            raise TaskSkip("invisible", "no patch differed visibly from the region it covered")
        return self._sample(
            clip,
            positions,
            question="A square patch that does not belong to the video has been pasted into some consecutive "
            f"frames. {LOCALIZATION_QUERIES[query]}",
            options=options,
            answer=letter,
            numbered=True,
            meta={
                "query": query,
                "first": first,
                "last": last,
                "box": [x, y, x + size, y + size],
                "donor": donor_kind,
                "positions": positions,
            },
            transform=transform,
            frames=frames,
        )
