"""The shared shape of a fragment task: the `Task` base, `Sample`, `TaskSkip`, answer
placement, the frame-merging rule and the helpers the five tasks share.

The paper (Hu et al., CVPR 2025) names five fragment tasks built from a video's own
properties, without labels: counting, consistency verification, localization, disorder
detection and rearrangement. Its prompts, frame counts and option formats are unknown;
everything below is **our specification** (docs/method.md §2), with each choice a parameter.

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

Tasks work on any video: this subpackage never reads synthetic ground truth (an
import-linter contract forbids importing `sf2t.world`).

Frames the model sees are always ``sf2t.video.transforms.materialize(record, root)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sf2t.common.prompts import LETTERS
from sf2t.video import Clip


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


def check_range(name: str, value: Sequence[float], lowest: float, kind: type = int) -> None:
    if not (isinstance(value, tuple | list) and len(value) == 2):
        raise ValueError(f"{name} must be a (low, high) pair, got {value!r}")
    lo, hi = value
    if kind is int and not all(isinstance(v, int | np.integer) for v in value):
        raise ValueError(f"{name} must be integers, got {value!r}")
    if not lowest <= lo <= hi:
        raise ValueError(f"{name} must satisfy {lowest} <= low <= high, got {tuple(value)}")


def check_choices(name: str, value: Sequence[str], allowed: Sequence[str]) -> None:
    if not value:
        raise ValueError(f"{name} must name at least one of {tuple(allowed)}")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"{name}: unknown {unknown}; choose from {tuple(allowed)}")


def pick(rng: np.random.Generator, values: Sequence[Any]) -> Any:
    return values[int(rng.integers(len(values)))]


def binary(slot: int | None, rng: np.random.Generator) -> bool:
    """A balanced yes/no: alternates with the writer's per-task ``slot`` (exact balance),
    else a fair coin."""
    return slot % 2 == 0 if slot is not None else bool(rng.random() < 0.5)


#: How the frames of an order task are spread over the clip: at a random constant stride, or at
#: the largest stride (the shown frames span the clip, so consecutive ones differ most).
SPREADS: tuple[str, ...] = ("random", "full")


def ordered_positions(
    num_decoded: int, n: int, rng: np.random.Generator, longest: int | None = None, spread: str = "random"
) -> list[int]:
    """``n`` positions of a decoded clip in temporal order, at a constant stride and a random
    start; the stride is random (``spread`` "random") or the largest the clip allows ("full").
    With ``longest`` the random stride is drawn from the strides that ``longest`` frames
    allow, independently of ``n``, so the step between frames does not hint at how many
    there are (counting)."""
    if spread not in SPREADS:
        raise ValueError(f"spread must be one of {SPREADS}, got {spread!r}")
    if n > num_decoded:
        raise TaskSkip("too short", f"needs {n} frames, the clip has {num_decoded}")
    if spread == "full":
        stride = max(1, (num_decoded - 1) // max(1, n - 1))
    else:
        max_stride = max(1, (num_decoded - 1) // max(1, max(n, longest or n) - 1))
        stride = int(rng.integers(1, max_stride + 1))
    start = int(rng.integers(0, num_decoded - (n - 1) * stride))
    return [start + k * stride for k in range(n)]


def texture_box(frame: np.ndarray, size: int, region: tuple[slice, slice], rng, tries: int = 6) -> list[int]:
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


def check_distinct_tolerance(task) -> None:
    if not 0 <= task.pixel_threshold < 255 or not 0 < task.min_changed < 1:
        raise ValueError("pixel_threshold must be in [0, 255) and min_changed in (0, 1)")


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
