"""The five SF²T self-supervised fragment tasks, their mixture, and the ``sf2t tasks`` writer.

The paper (Hu et al., CVPR 2025) names five fragment tasks built from a video's own
properties, without labels: counting, consistency verification, localization, disorder
detection and rearrangement. Its prompts, frame counts and option formats are unknown;
everything below is **our specification** (design.md §3), with each choice a parameter.

Shared shape. A task is a small frozen dataclass whose fields are its difficulty
parameters (validated on construction), with ``name``, ``min_frames()`` (decoded frames it
needs) and ``sample(clip, rng) -> Sample``. A `Sample` is one conversation: exact source
frame indices in presentation order, an optional pixel transform (`sf2t.video.transforms`),
question, options, answer (a letter: every task is multiple choice, so evaluation scores
letters), ``numbered`` and metadata from which the answer can be re-derived. Answers are
true by construction and are labelled **from pixels**: a perturbation that leaves the
pixels unchanged (a static video) is never labelled as a change.

Options never give the answer away. Where options are built around the answer (counts,
frame numbers, spans, orders), the option set is drawn *first* and the answer is a uniform
member of it; the frames are then chosen to match. So the answer's letter, its place in the
range, or its being the "centre" of near-miss distractors carries no information (the
tests check that option-only guesses stay at chance). Binary classes are balanced exactly
by the writer (``slot``).

Tasks work on any video: this module never reads synthetic ground truth (an import-linter
contract forbids importing `sf2t.world`).

Frames the model sees are always ``sf2t.video.transforms.materialize(record, root)``.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sf2t.common.prompts import LETTERS
from sf2t.common.records import write_jsonl
from sf2t.video import Clip, VideoError, probe, read_frames, sample_indices
from sf2t.video.transforms import (
    EDIT_OPS,
    PIXEL_THRESHOLD,
    QUADRANTS,
    apply_transform,
    changed_mask,
    differing_quadrants,
    frames_differ,
    quadrant_slices,
)

VIDEO_EXTENSIONS: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


class TaskSkip(Exception):
    """This clip cannot give this task a valid sample; ``reason`` is a short key
    (``"too short"``, ``"static"``, ...) counted in the writer's summary."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


# --------------------------------------------------------------------------- samples


@dataclass
class Sample:
    """One fragment-task conversation; `to_record` gives the shared JSONL record shape.

    ``frames`` (the materialized pixels, as the task built them) is kept for checks and
    figures but never serialized: a record names its pixels by indices and transform.
    ``meta["positions"]`` are positions in the decoded clip, kept for inspection; the
    answer is re-derivable without them.
    """

    task: str
    video: str
    indices: list[int]
    question: str
    options: list[str] | None
    answer: str
    numbered: bool
    meta: dict[str, Any]
    transform: dict[str, Any] | None = None
    id: str = ""
    frames: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def answer_text(self) -> str:
        """The chosen option's text (or the answer itself for open questions)."""
        if self.options:
            return self.options[LETTERS.index(self.answer)]
        return self.answer

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id or f"{self.task}-{Path(self.video).stem}",
            "video": self.video,
            "frames": {"indices": [int(i) for i in self.indices], "transform": self.transform},
            "question": self.question,
            "options": list(self.options) if self.options is not None else None,
            "answer": self.answer,
            "numbered": self.numbered,
            "task": self.task,
            "meta": self.meta,
        }


def place_answer(correct: str, distractors: Sequence[str], rng: np.random.Generator) -> tuple[list[str], str]:
    """Options with the correct one at a uniformly random letter (so answer letters are
    balanced), distractors in random order; returns ``(options, letter)``."""
    if correct in distractors or len(set(distractors)) != len(distractors):
        raise ValueError(f"distractors must be distinct and differ from the answer {correct!r}: {distractors}")
    others = [distractors[i] for i in rng.permutation(len(distractors))]
    slot = int(rng.integers(len(others) + 1))
    options = others[:slot] + [correct] + others[slot:]
    return options, LETTERS[slot]


# --------------------------------------------------------------------------- frame merging


def received_frames(n: int, temporal_merge: int = 1) -> int:
    """How many frames a model receives when shown ``n``: processors that merge
    ``temporal_merge`` consecutive frames (Qwen2-VL family: 2) pad the clip by repeating
    the last frame up to a multiple of ``temporal_merge``.

    This is the one place that decides what a frame-count label counts. `Counting` only
    draws counts with ``received_frames(n, m) == n`` (multiples of ``m``), so the label is
    both the number of frames shown and the number the model receives, and no padded
    duplicate makes the question ambiguous.
    """
    if n < 1 or temporal_merge < 1:
        raise ValueError(f"need n >= 1 and temporal_merge >= 1, got n={n}, temporal_merge={temporal_merge}")
    return -(-n // temporal_merge) * temporal_merge


def countable_frame_counts(lo: int, hi: int, temporal_merge: int = 1) -> list[int]:
    """The frame counts in ``[lo, hi]`` a counting question may use for this merge factor."""
    return [n for n in range(lo, hi + 1) if received_frames(n, temporal_merge) == n]


# --------------------------------------------------------------------------- helpers


def _check_range(name: str, value: Sequence[float], lowest: float, kind: type = int) -> None:
    if not (isinstance(value, tuple | list) and len(value) == 2):
        raise ValueError(f"{name} must be a (low, high) pair, got {value!r}")
    lo, hi = value
    if kind is int and not all(isinstance(v, int | np.integer) for v in value):
        raise ValueError(f"{name} must be integers, got {value!r}")
    if not lowest <= lo <= hi:
        raise ValueError(f"{name} must satisfy {lowest} <= low <= high, got {tuple(value)}")


def _check_choices(name: str, value: Sequence[str], allowed: Sequence[str]) -> None:
    if not value:
        raise ValueError(f"{name} must name at least one of {tuple(allowed)}")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"{name}: unknown {unknown}; choose from {tuple(allowed)}")


def _pick(rng: np.random.Generator, values: Sequence[Any]) -> Any:
    return values[int(rng.integers(len(values)))]


def _binary(slot: int | None, rng: np.random.Generator) -> bool:
    """A balanced yes/no: alternates with the writer's per-task ``slot`` (exact balance),
    else a fair coin."""
    return slot % 2 == 0 if slot is not None else bool(rng.random() < 0.5)


def ordered_positions(num_decoded: int, n: int, rng: np.random.Generator, longest: int | None = None) -> list[int]:
    """``n`` positions of a decoded clip in temporal order, at a random constant stride and
    start. With ``longest`` the stride is drawn from the strides that ``longest`` frames
    allow, independently of ``n``, so the step between frames does not hint at how many
    there are (counting)."""
    if n > num_decoded:
        raise TaskSkip("too short", f"needs {n} frames, the clip has {num_decoded}")
    max_stride = max(1, (num_decoded - 1) // max(1, max(n, longest or n) - 1))
    stride = int(rng.integers(1, max_stride + 1))
    start = int(rng.integers(0, num_decoded - (n - 1) * stride))
    return [start + k * stride for k in range(n)]


def _texture_box(frame: np.ndarray, size: int, region: tuple[slice, slice], rng, tries: int = 6) -> list[int]:
    """A ``size``-pixel square inside ``region`` (rows, cols), the most textured of a few
    random candidates, so an edit or a patch is more likely to show."""
    rows, cols = region
    best, best_std = None, -1.0
    for _ in range(tries):
        x0 = int(rng.integers(cols.start, cols.stop - size + 1))
        y0 = int(rng.integers(rows.start, rows.stop - size + 1))
        std = float(frame[y0 : y0 + size, x0 : x0 + size].std())
        if std > best_std:
            best, best_std = [x0, y0, x0 + size, y0 + size], std
    return best


def _median_colour(frame: np.ndarray) -> list[int]:
    return [int(v) for v in np.median(frame.reshape(-1, 3), axis=0)]


def _frame_word(n: int) -> str:
    return f"Frame {n}"


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """The shared shape of a fragment task (see the module docstring)."""

    name: ClassVar[str] = "task"

    def min_frames(self) -> int:
        raise NotImplementedError

    def sample(
        self, clip: Clip, rng: np.random.Generator, *, donor: Clip | None = None, slot: int | None = None
    ) -> Sample:
        """One sample from ``clip``. ``donor`` is another clip (used by localization),
        ``slot`` the writer's count of this task's samples so far (used to balance
        binary classes exactly); both optional. Raises `TaskSkip` when the clip cannot
        give a valid sample."""
        raise NotImplementedError

    def _require(self, clip: Clip) -> int:
        if len(clip) < self.min_frames():
            raise TaskSkip("too short", f"{self.name} needs {self.min_frames()} frames, the clip has {len(clip)}")
        return len(clip)

    def _sample(self, clip: Clip, positions: Sequence[int], frames: np.ndarray | None = None, **fields: Any) -> Sample:
        """A sample showing ``clip`` at ``positions`` (``frames``: the pixels after any
        transform, default the untouched frames)."""
        indices = [int(clip.indices[p]) for p in positions]
        shown = clip.frames[list(positions)] if frames is None else frames
        return Sample(task=self.name, video=clip.path, indices=indices, frames=shown, **fields)


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
        _check_range("num_frames", self.num_frames, 1)
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
        _check_range("gap", self.gap, 1)
        _check_range("edit_size", self.edit_size, 0.01, float)
        if self.edit_size[1] > 0.4:
            raise ValueError(f"edit_size must fit in a quadrant (high <= 0.4), got {self.edit_size}")
        _check_choices("edit_ops", self.edit_ops, EDIT_OPS)
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
            quadrant = _pick(rng, QUADRANTS)
            op = _pick(rng, self.edit_ops) if attempt < 6 else "recolour"
            size = int(round(rng.uniform(*self.edit_size) * min(height, width)))
            size = max(2, min(size, quad_side // 2 if op == "move" else quad_side))
            rows, cols = quads[quadrant]
            box = _texture_box(frame, size, (rows, cols), rng)
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
                offset = [int(_pick(rng, dxs)), int(_pick(rng, dys))]
                fill = _median_colour(frame)
                transform = {"kind": "edit", "frame": 1, "op": op, "box": box, "offset": offset, "fill": fill}
            edited = apply_transform(np.stack([frame, frame]), transform)[1]
            if differing_quadrants(frame, edited, self.pixel_threshold, self.min_changed) == [quadrant]:
                break
        return transform

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        transform = None
        if _binary(slot, rng):
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


LOCALIZATION_QUERIES: dict[str, str] = {
    "appear": "In which frame does the patch first appear?",
    "disappear": "In which frame is the patch visible for the last time?",
    "persist": "In which frames is the patch visible?",
}


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
        _check_range("num_frames", self.num_frames, 2)
        _check_range("patch_size", self.patch_size, 0.02, float)
        if self.patch_size[1] > 0.5:
            raise ValueError(f"patch_size high must be <= 0.5, got {self.patch_size}")
        _check_choices("queries", self.queries, tuple(LOCALIZATION_QUERIES))
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
        return clip, int(_pick(rng, far)), "self"

    def _plan(self, query: str, n: int, rng: np.random.Generator) -> tuple[int, int, list[str], str]:
        """``(first, last, options, letter)``: the options are drawn first (a window of
        consecutive frame numbers, or the spans nearest a random span), the answer is a
        uniform member, and the patched span (1-based, never all ``n`` frames) follows."""
        k = self.num_options
        if query == "persist":
            valid = [(a, b) for a in range(1, n + 1) for b in range(a, n + 1) if (a, b) != (1, n)]
            ca, cb = _pick(rng, valid)
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
        query = _pick(rng, self.queries)
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
            src_box = _texture_box(donor_frame, size, (slice(0, dh), slice(0, dw)), rng)
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


def _check_distinct_tolerance(task) -> None:
    if not 0 <= task.pixel_threshold < 255 or not 0 < task.min_changed < 1:
        raise ValueError("pixel_threshold must be in [0, 255) and min_changed in (0, 1)")


@dataclass(frozen=True)
class Disorder(Task):
    """Are the frames in the correct order? ``N`` frames shown as a video, in order or
    perturbed by one of ``perturbations`` (swap two frames / reverse a segment / full
    shuffle: the difficulty). The two classes alternate with the writer's slot (exactly
    balanced). A perturbation only counts if it moves visibly different frames (pixels,
    `frames_differ`); a static clip that allows none is skipped. Options Yes / No."""

    num_frames: tuple[int, int] = (4, 8)
    perturbations: tuple[str, ...] = DISORDER_PERTURBATIONS
    pixel_threshold: int = PIXEL_THRESHOLD
    min_changed: float = 0.002
    name: ClassVar[str] = "disorder"

    def __post_init__(self):
        _check_range("num_frames", self.num_frames, 3)
        _check_choices("perturbations", self.perturbations, DISORDER_PERTURBATIONS)
        _check_distinct_tolerance(self)

    def min_frames(self) -> int:
        return self.num_frames[1]

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        in_order = _binary(slot, rng)
        for _attempt in range(8):
            n = int(rng.integers(self.num_frames[0], self.num_frames[1] + 1))
            positions = ordered_positions(num, n, rng)
            frames = clip.frames[positions]
            if in_order:
                kind, perm = None, list(range(n))
                break
            kind = _pick(rng, self.perturbations)
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
            question="Are these frames in the correct temporal order?",
            options=["Yes", "No"],
            answer="A" if in_order else "B",
            numbered=False,
            meta={"in_order": in_order, "perturbation": kind, "permutation": perm, "positions": positions},
            frames=frames[perm],
        )


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
    in pixels. Score with `exact_match` and `kendall_tau`."""

    num_frames: tuple[int, int] = (3, 5)
    num_options: int = 4
    pixel_threshold: int = PIXEL_THRESHOLD
    min_changed: float = 0.002
    name: ClassVar[str] = "rearrangement"

    def __post_init__(self):
        _check_range("num_frames", self.num_frames, 3)
        if self.num_frames[1] > len(LETTERS):
            raise ValueError(f"num_frames high must be <= {len(LETTERS)}, got {self.num_frames}")
        if not 2 <= self.num_options <= 6:
            raise ValueError(f"num_options must be in 2..6, got {self.num_options}")
        _check_distinct_tolerance(self)

    def min_frames(self) -> int:
        return self.num_frames[1]

    def sample(self, clip, rng, *, donor=None, slot=None):
        num = self._require(clip)
        for _attempt in range(8):
            n = int(rng.integers(self.num_frames[0], self.num_frames[1] + 1))
            positions = ordered_positions(num, n, rng)
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
            question="These frames of a video are shuffled. Which order of frame numbers restores the video?",
            options=[format_order(o) for o in orders],
            answer=LETTERS[p],
            numbered=True,
            meta={"order": order, "permutation": perm, "positions": positions},
            frames=frames[perm],
        )


TASK_CLASSES: dict[str, type[Task]] = {
    cls.name: cls for cls in (Counting, Consistency, Localization, Disorder, Rearrangement)
}


def default_tasks(temporal_merge: int = 1) -> dict[str, Task]:
    """The five tasks at their default difficulty; ``temporal_merge`` from the model adapter."""
    return {
        "counting": Counting(temporal_merge=temporal_merge),
        "consistency": Consistency(),
        "localization": Localization(),
        "disorder": Disorder(),
        "rearrangement": Rearrangement(),
    }


# --------------------------------------------------------------------------- mixture


@dataclass(frozen=True)
class Mixture:
    """Tasks with explicit sampling ratios (normalised; every task needs a positive ratio).
    The key names the task in records (``task``), so one kind can appear twice at two
    difficulties (e.g. ``"disorder_swap"``)."""

    tasks: Mapping[str, Task]
    ratios: Mapping[str, float]

    def __post_init__(self):
        if not self.tasks or not self.ratios:
            raise ValueError("a mixture needs at least one task and one ratio")
        unknown = sorted(set(self.ratios) - set(self.tasks))
        if unknown:
            raise ValueError(f"ratios name unknown task(s) {unknown}; known: {sorted(self.tasks)}")
        missing = sorted(set(self.tasks) - set(self.ratios))
        if missing:
            raise ValueError(f"no ratio given for task(s) {missing}")
        for key, value in self.ratios.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"ratio of {key!r} must be a positive number, got {value!r}")
        for key, task in self.tasks.items():
            if not isinstance(task, Task):
                raise ValueError(f"task {key!r} is not a Task: {task!r}")

    @classmethod
    def from_spec(cls, spec: str | None = None, temporal_merge: int = 1) -> Mixture:
        """The default tasks with ratios from ``"counting=1,disorder=2"`` (None or "" =
        all five, equal ratios); tasks the spec leaves out are dropped."""
        tasks = default_tasks(temporal_merge)
        if not spec:
            return cls(tasks, {k: 1.0 for k in tasks})
        ratios = parse_mix(spec)
        unknown = sorted(set(ratios) - set(tasks))
        if unknown:
            raise ValueError(f"--mix names unknown task(s) {unknown}; known: {sorted(tasks)}")
        return cls({k: tasks[k] for k in ratios}, ratios)

    def counts(self, n: int) -> dict[str, int]:
        """Exactly ``n`` samples split by ratio (largest remainder; ties by name)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        total = sum(self.ratios.values())
        quotas = {k: n * v / total for k, v in self.ratios.items()}
        counts = {k: math.floor(q) for k, q in quotas.items()}
        for k in sorted(quotas, key=lambda k: (counts[k] - quotas[k], k))[: n - sum(counts.values())]:
            counts[k] += 1
        return counts

    def assign(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` task names in a random order with exactly `counts` of each."""
        names = [k for k, c in sorted(self.counts(n).items()) for _ in range(c)]
        return [names[i] for i in rng.permutation(len(names))]

    def min_frames(self) -> int:
        return max(t.min_frames() for t in self.tasks.values())


def parse_mix(spec: str) -> dict[str, float]:
    """``"counting=1,disorder=2.5"`` -> ``{"counting": 1.0, "disorder": 2.5}``."""
    ratios: dict[str, float] = {}
    for part in spec.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--mix entries look like name=ratio, got {part.strip()!r}")
        if name in ratios:
            raise ValueError(f"--mix names {name!r} twice")
        try:
            ratios[name] = float(value)
        except ValueError:
            raise ValueError(f"--mix ratio of {name!r} is not a number: {value!r}") from None
    return ratios


# --------------------------------------------------------------------------- writer


@dataclass
class Summary:
    """What `generate_samples` did: samples written per task, draws skipped by (task,
    reason) (each passed on to a later video), unreadable videos by name and reason."""

    requested: int
    videos: int = 0
    readable: int = 0
    written: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total_written(self) -> int:
        return sum(self.written.values())

    def line(self) -> str:
        per_task = ", ".join(f"{k} {v}" for k, v in sorted(self.written.items())) or "none"
        skips = ", ".join(f"{k[0]}/{k[1]} {v}" for k, v in sorted(self.skipped.items()))
        return (
            f"wrote {self.total_written} of {self.requested} samples from {self.readable}/{self.videos} videos "
            f"({per_task}); skipped {sum(self.skipped.values())} clip-task draws"
            + (f" ({skips}), passed on to later videos" if skips else "")
            + f"; unreadable videos {len(self.unreadable)}"
        )


def list_videos(videos_dir: str | Path) -> list[Path]:
    """Video files under ``videos_dir`` (recursively), sorted by relative path."""
    root = Path(videos_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"videos folder {root} does not exist or is not a folder")
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def decode_clip(path: Path, root: Path, frames_per_clip: int) -> Clip:
    """Decode a video once: ``frames_per_clip`` frames by the ``"centers"`` rule (all
    frames if it has fewer); the clip's path is made relative to ``root`` (the form records
    store)."""
    info = probe(path)
    idx = sample_indices(info.num_frames, min(frames_per_clip, info.num_frames), "centers")
    frames = read_frames(path, idx)
    return Clip(path.relative_to(root).as_posix(), frames, idx, info.fps, info.num_frames)


def _clips_with_donors(
    paths: list[Path], root: Path, frames_per_clip: int, summary: Summary
) -> Iterator[tuple[int, Clip, Clip | None]]:
    """``(video number, clip, donor)``: each readable clip with the next readable one as
    its donor (the last one gets the first), so every clip is decoded once and at most
    three are held in memory."""

    def decoded():
        for number, path in enumerate(paths):
            try:
                yield number, decode_clip(path, root, frames_per_clip)
            except VideoError as exc:
                summary.unreadable.append((path.relative_to(root).as_posix(), exc.reason))
                print(f"sf2t tasks: skipping unreadable video {exc}", file=sys.stderr)

    first = previous = None
    for item in decoded():
        summary.readable += 1
        if previous is not None:
            yield previous[0], previous[1], item[1]
        else:
            first = item
        previous = item
    if previous is not None:
        yield previous[0], previous[1], (first[1] if first is not previous else None)


def generate_samples(
    videos_dir: str | Path,
    n: int,
    seed: int,
    mixture: Mixture | None = None,
    frames_per_clip: int = 32,
    progress: bool = False,
) -> tuple[list[dict[str, Any]], Summary]:
    """``n`` task samples (records) from the videos in ``videos_dir``, and a `Summary`.

    The mixture assigns task names (exact ratios, shuffled by ``seed``); video ``c`` of
    ``C`` gets an equal share of them. Each video is decoded once (`decode_clip`) and all
    its samples are drawn from those frames; indices in records are source-frame numbers.
    A clip that cannot give a task a sample (too short, static) is skipped and counted,
    and an unreadable video is reported by name; either way the request is passed on to
    the next videos (each takes at most as many passed-on requests as its own share), so
    ``n`` samples in the mixture's ratios come out whenever later videos can serve them.
    Same arguments, same records.
    """
    from tqdm.auto import tqdm

    mixture = mixture or Mixture.from_spec(None)
    if frames_per_clip < mixture.min_frames():
        needs = {k: t.min_frames() for k, t in mixture.tasks.items() if t.min_frames() > frames_per_clip}
        raise ValueError(f"frames_per_clip={frames_per_clip} is fewer than the tasks need: {needs}")
    root = Path(videos_dir)
    paths = list_videos(root)
    summary = Summary(requested=n, videos=len(paths))
    if not paths:
        return [], summary
    names = mixture.assign(n, np.random.default_rng([seed, 0]))
    share, extra = divmod(n, len(paths))
    starts = [c * share + min(c, extra) for c in range(len(paths) + 1)]
    slots: Counter = Counter()
    records: list[dict[str, Any]] = []
    carried: list[str] = []  # requests that an earlier video could not serve
    bar = tqdm(total=len(paths), desc="fragment tasks", unit="video", disable=not progress)
    last_number = -1
    for number, clip, donor in _clips_with_donors(paths, root, frames_per_clip, summary):
        carried += names[starts[last_number + 1] : starts[number]]  # shares of unreadable videos
        bar.update(number - last_number)
        last_number = number
        rng = np.random.default_rng([seed, 1, number])
        own = names[starts[number] : starts[number + 1]]
        budget = max(1, len(own))
        queue, carried = carried[:budget] + own, carried[budget:]
        for key in queue:
            try:
                sample = mixture.tasks[key].sample(clip, rng, donor=donor, slot=slots[key])
            except TaskSkip as skip:
                summary.skipped[(key, skip.reason)] += 1
                carried.append(key)
                continue
            sample = replace(sample, task=key, id=f"{key}-{len(records):06d}", frames=None)
            records.append(sample.to_record())
            slots[key] += 1
            summary.written[key] += 1
    bar.update(len(paths) - 1 - last_number)
    bar.close()
    return records, summary


# --------------------------------------------------------------------------- CLI


def add_arguments(parser) -> None:
    parser.add_argument("--videos", required=True, type=Path, help="folder of videos (searched recursively)")
    parser.add_argument("--out", required=True, type=Path, help="output JSONL file")
    parser.add_argument("--n", required=True, type=int, help="number of samples to draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mix", default=None, help="task ratios, e.g. counting=1,consistency=1,localization=1 (default: equal)"
    )
    parser.add_argument("--frames-per-clip", type=int, default=32, help="frames decoded per video (default 32)")
    parser.add_argument(
        "--temporal-merge", type=int, default=1, help="frames the target model merges (2 for the Qwen2-VL family)"
    )
    parser.add_argument("--no-progress", action="store_true")


def run_cli(args) -> int:
    try:
        mixture = Mixture.from_spec(args.mix, temporal_merge=args.temporal_merge)
        records, summary = generate_samples(
            args.videos, args.n, args.seed, mixture, args.frames_per_clip, progress=not args.no_progress
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"sf2t tasks: {exc}", file=sys.stderr)
        return 2
    write_jsonl(args.out, records)
    print(f"sf2t tasks: {summary.line()} -> {args.out}")
    for name, reason in summary.unreadable:
        print(f"  unreadable: {name}: {reason}")
    return 0 if records else 1
