"""FineVidBench-mini builder: benchmark items written from the synthetic world's held-out
``bench`` split, because the paper's videos and questions are not released; the categories
are our reconstruction of the paper's (see ``paper.md`` §3).

The item schema, loading, saving and the statistics table are `sf2t.bench`. Every question
below is generated from ground truth and its answer is determined by the frames shown; the
choices that make that so are documented where they are made.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.bench import BENCH_FILE, CATEGORIES, LEVEL_OF, SCENE_CATEGORIES, bench_stats, save_bench
from sf2t.common.prompts import option_letters
from sf2t.report import write_table
from sf2t.video import PLAYBACK_SPEEDS, sample_indices, speed_indices

# Texts of the answer vocabularies. Options are always drawn from the same vocabulary as
# the answer (same category), so no option can be ruled out by its form alone.

ACTION_TEXT = {
    "move_left": "it moves to the left",
    "move_right": "it moves to the right",
    "move_up": "it moves up",
    "move_down": "it moves down",
    "rotate": "it rotates",
    "grow": "it grows bigger",
    "shrink": "it shrinks",
    "change_color": "it changes colour",
    "appear": "it appears",
    "disappear": "it disappears",
    "fall_off": "it falls out of the frame",
    "collide": "it moves into another object",
}
#: Actions a viewer confuses with each other; distractors are drawn from here first.
CONFUSABLE = {
    "move_left": ("move_right", "collide", "move_up", "move_down"),
    "move_right": ("move_left", "collide", "move_down", "move_up"),
    "move_up": ("move_down", "move_left", "move_right", "fall_off"),
    "move_down": ("move_up", "fall_off", "move_left", "move_right"),
    "rotate": ("grow", "shrink", "change_color"),
    "grow": ("shrink", "rotate", "appear"),
    "shrink": ("grow", "disappear", "rotate"),
    "change_color": ("rotate", "appear", "disappear"),
    "appear": ("disappear", "grow", "change_color"),
    "disappear": ("appear", "shrink", "fall_off"),
    "fall_off": ("move_down", "disappear", "move_up"),
    "collide": ("move_left", "move_right", "fall_off"),
}
#: What a directional action looks like played backwards (Meaning of Order). Actions whose
#: reversal is not another action of the vocabulary (rotate, collide, ...) are not used.
REVERSED_ACTION = {
    "move_left": "move_right",
    "move_right": "move_left",
    "move_up": "move_down",
    "move_down": "move_up",
    "grow": "shrink",
    "shrink": "grow",
    "appear": "disappear",
    "disappear": "appear",
}
REGION_TEXT = {
    (0, 0): "in the top left corner",
    (1, 0): "at the top",
    (2, 0): "in the top right corner",
    (0, 1): "on the left",
    (1, 1): "in the centre",
    (2, 1): "on the right",
    (0, 2): "in the bottom left corner",
    (1, 2): "at the bottom",
    (2, 2): "in the bottom right corner",
}
GONE_TEXT = "it is no longer visible"
SIZE_TEXT = {
    "bigger": "bigger than at the start",
    "smaller": "smaller than at the start",
    "same": "the same size as at the start",
}
CHANGE_TEXT = {
    "left": "it is further left in frame 2",
    "right": "it is further right in frame 2",
    "up": "it is higher in frame 2",
    "down": "it is lower in frame 2",
    "bigger": "it is bigger in frame 2",
    "smaller": "it is smaller in frame 2",
    "appeared": "it is visible only in frame 2",
    "vanished": "it is visible only in frame 1",
    "colour": "its colour is different in frame 2",
    "turned": "it is turned differently in frame 2",
    "none": "nothing is different",
}
CHANGE_OPPOSITE = {
    "left": "right",
    "right": "left",
    "up": "down",
    "down": "up",
    "bigger": "smaller",
    "smaller": "bigger",
    "appeared": "vanished",
    "vanished": "appeared",
    "colour": "turned",
    "turned": "colour",
    "none": "left",
}
ORDER_YES, ORDER_NO = "yes, the order is correct", "no, the order needs adjusting"
SPEED_TEXT = {"slow": "slowly", "fast": "fast"}
#: Actions with a pace (the others are instantaneous events) and the verb a speed question uses.
SPEED_VERB = {
    "move_left": "move",
    "move_right": "move",
    "move_up": "move",
    "move_down": "move",
    "fall_off": "move",
    "collide": "move",
    "grow": "grow",
    "shrink": "shrink",
    "rotate": "rotate",
}
#: Rotations after which a shape looks the same again (degrees); a turn by a multiple is invisible.
ROTATION_PERIOD = {"square": 90, "diamond": 90, "triangle": 120, "circle": 1}


def speed_label(speed: float) -> str:
    """How a playback speed is written in options (0.5 -> "0.5×", 2.0 -> "2×")."""
    return f"{speed:g}×"


@dataclass(frozen=True)
class MiniConfig:
    """Knobs of FineVidBench-mini (all ours: the paper's values are unknown).

    ``frame_counts`` are the frame-count variants of the scene questions; counting uses
    even counts only (``count_range``), so a model that merges frames in pairs (Qwen2-VL
    family, temporal patch 2) is asked about a count it can represent.
    """

    n_videos: int = 120
    questions_per_video: int = 25
    seed: int = 0
    frame_counts: tuple[int, ...] = (4, 8, 16)
    order_frame_counts: tuple[int, ...] = (4, 6, 8)
    rearrange_frame_counts: tuple[int, ...] = (3, 4, 5)
    count_range: tuple[int, int] = (2, 16)
    speeds: tuple[float, ...] = PLAYBACK_SPEEDS
    n_options: int = 4
    min_shift_px: float = 2.0
    region_margin: float = 0.04

    def validate(self) -> None:
        if self.n_videos < 1 or self.questions_per_video < 1:
            raise ValueError("n_videos and questions_per_video must be positive")
        if not 3 <= self.n_options <= 6:
            raise ValueError(f"n_options must be between 3 and 6, got {self.n_options}")
        lo, hi = self.count_range
        if lo < 2 or hi < lo or lo % 2 or hi % 2:
            raise ValueError(f"count_range must be two even numbers 2 <= lo <= hi, got {self.count_range}")


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


def _pick(
    rng: np.random.Generator, preferred: Sequence[str], rest: Sequence[str], k: int, exclude: Iterable[str]
) -> list[str]:
    """``k`` distinct distractors: the preferred ones first (in order), then the rest shuffled."""
    exclude = set(exclude)
    out: list[str] = []
    for text in list(preferred) + [rest[i] for i in rng.permutation(len(rest))]:
        if text not in exclude and text not in out:
            out.append(text)
        if len(out) == k:
            break
    return out


def _cover_speeds(v: _Video, cfg: MiniConfig, n: int) -> list[tuple[float, list[int]]]:
    """Playback-speed variants whose window still shows the whole action: (speed, indices)."""
    span = v.motion_span()
    max_speed = max(cfg.speeds)
    out = []
    for s in sorted(cfg.speeds):
        window = v.total * s / max_speed
        if s != max_speed:
            if span is None or window < (span[1] - span[0] + 1) or window < n:
                continue
            centre = (span[0] + span[1] + 1) / 2
            start = float(np.clip((centre - window / 2) / max(v.total - window, 1e-9), 0, 1))
        else:
            start = 0.0
        out.append((s, speed_indices(v.total, n, s, max_speed=max_speed, start=start).tolist()))
    return out


# --------------------------------------------------------------------------- scene level


def _action(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    name = v.name()
    if name is None or v.action not in ACTION_TEXT:
        return []
    others = [a for a in ACTION_TEXT if a != v.action]
    out = []
    for n in cfg.frame_counts:
        if n > v.total:
            continue
        variants = _cover_speeds(v, cfg, n) + [(None, sample_indices(v.total, n, "endpoints").tolist())]
        for s, idx in variants:
            wrong = _pick(
                rng,
                [ACTION_TEXT[a] for a in CONFUSABLE.get(v.action, ())],
                [ACTION_TEXT[a] for a in others],
                cfg.n_options - 1,
                [ACTION_TEXT[v.action]],
            )
            out.append(
                _Draft(
                    "Action",
                    f"What happens to {name}?",
                    ACTION_TEXT[v.action],
                    wrong,
                    idx,
                    speed=s,
                    meta={"action": v.action, "frames": n, "rule": "speed" if s else "endpoints"},
                )
            )
    rng.shuffle(out)
    return out


def _final_colour(v: _Video) -> str | None:
    """The actor's colour at the end, read from the effect record (any field naming a colour
    other than the start colour)."""
    start = v.objects[v.actor]["color"]
    effect = v.truth.get("effect") or {}
    for key in ("color", "colour", "to", "final_color", "new_color", "end_color"):
        value = effect.get(key)
        if isinstance(value, str) and value != start:
            return value
    return None


def _effect(v: _Video, cfg: MiniConfig, rng, colour_names: Sequence[str]) -> list[_Draft]:
    """The actor's end state: where it is (or that it is gone), its size, or its colour."""
    name = v.name()
    if name is None:
        return []
    first_visible = next((b for b in v.boxes if b is not None), None)
    final = v.boxes[-1]
    if v.action in ("grow", "shrink", "rotate"):
        key = {"grow": "bigger", "shrink": "smaller", "rotate": "same"}[v.action]
        question = f"Compared with the start, how big is {name} at the end of the video?"
        answer, wrong = SIZE_TEXT[key], [t for k, t in SIZE_TEXT.items() if k != key]
    elif v.action == "change_color":
        colour = _final_colour(v)
        if colour is None:
            return []
        start = v.objects[v.actor]["color"]
        question = f"What colour is {name} at the end of the video?"
        answer = f"it is {colour}"
        wrong = _pick(rng, [f"it is {start}"], [f"it is {c}" for c in colour_names], cfg.n_options - 1, [answer])
    else:
        question = f"Where is {name} at the end of the video?"
        if final is None:
            answer = GONE_TEXT
        else:
            reg = v.region(final, cfg.region_margin)
            if reg is None:
                return []
            answer = REGION_TEXT[reg]
        start_reg = v.region(first_visible, cfg.region_margin) if first_visible is not None else None
        preferred = [REGION_TEXT[start_reg]] if start_reg else []
        preferred += [GONE_TEXT] if final is not None else []
        wrong = _pick(rng, preferred, list(REGION_TEXT.values()), cfg.n_options - 1, [answer])
    out = []
    for n in cfg.frame_counts:
        if n <= v.total:
            idx = sample_indices(v.total, n, "endpoints").tolist()  # the last frame is the end state
            out.append(_Draft("Effect", question, answer, list(wrong), idx, meta={"action": v.action, "frames": n}))
    return out


def _speed(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    """How fast the actor changes (all frames, uniformly), and at what playback speed a clip
    is shown given that pace (index resampling, `sf2t.video.speed_indices`). Only for actions
    with a pace: appearing, disappearing and changing colour are instantaneous."""
    name = v.name()
    speed_class = v.truth.get("speed")
    verb = SPEED_VERB.get(v.action)
    if name is None or speed_class not in SPEED_TEXT or verb is None or v.motion_span() is None:
        return []
    out = []
    n = min(8, v.total)
    idx = sample_indices(v.total, n, "centers").tolist()
    out.append(
        _Draft(
            "Speed",
            f"How fast does {name} {verb}?",
            SPEED_TEXT[speed_class],
            [t for k, t in SPEED_TEXT.items() if k != speed_class],
            idx,
            meta={"variant": "pace", "speed_class": speed_class},
        )
    )
    span = v.motion_span()
    max_speed = max(cfg.speeds)
    labels = [speed_label(s) for s in cfg.speeds]
    for s in cfg.speeds:
        window = v.total * s / max_speed
        centre = (span[0] + span[1] + 1) / 2
        start = float(np.clip((centre - window / 2) / max(v.total - window, 1e-9), 0, 1))
        sidx = speed_indices(v.total, n, s, max_speed=max_speed, start=start).tolist()
        if len({tuple(v.boxes[i]) if v.boxes[i] else None for i in sidx}) < 2:
            continue  # no visible change in this window: the speed could not be seen
        question = (
            f"In the original video {name} {verb}s {SPEED_TEXT[speed_class]}. "
            "At what playback speed are these frames shown?"
        )
        wrong = [t for t in labels if t != speed_label(s)][: cfg.n_options - 1]
        out.append(
            _Draft(
                "Speed",
                question,
                speed_label(s),
                wrong,
                sidx,
                speed=s,
                meta={"variant": "playback", "speed_class": speed_class},
            )
        )
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------- fragment level


def _frame_count(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    lo, hi = cfg.count_range
    counts = [n for n in range(lo, hi + 1, 2) if n <= v.total]
    out = []
    for n in counts:
        near = sorted((c for c in range(lo, hi + 1, 2) if c != n), key=lambda c: (abs(c - n), c))
        wrong = [str(c) for c in near[: cfg.n_options - 1]]
        idx = sample_indices(v.total, n, "centers").tolist()
        out.append(_Draft("Frame Count", "How many frames are shown?", str(n), wrong, idx, meta={"frames": n}))
    rng.shuffle(out)
    return out


def _meaning_of_order(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    """The same frames in order or reversed: the order decides what the clip depicts."""
    name = v.name()
    if name is None or v.action not in REVERSED_ACTION:
        return []
    out = []
    for k, n in enumerate(cfg.order_frame_counts):
        if n > v.total:
            continue
        reverse = (k + int(rng.integers(2))) % 2 == 1
        idx = sample_indices(v.total, n, "centers").tolist()
        shown = REVERSED_ACTION[v.action] if reverse else v.action
        other = v.action if reverse else REVERSED_ACTION[v.action]
        wrong = _pick(
            rng,
            [ACTION_TEXT[other]],
            [ACTION_TEXT[a] for a in ACTION_TEXT if a != shown],
            cfg.n_options - 1,
            [ACTION_TEXT[shown]],
        )
        out.append(
            _Draft(
                "Meaning of Order",
                f"Taking the frames in the order shown, what happens to {name}?",
                ACTION_TEXT[shown],
                wrong,
                idx[::-1] if reverse else idx,
                order="reversed" if reverse else "original",
                meta={"action": v.action, "shown_action": shown, "frames": n},
            )
        )
    return out


def _frame_comparison(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    """Two frames: the same frame twice, the first and last frame, or two frames a few steps
    apart during the action; the answer is computed from the boxes (or, for colour and
    rotation, which leave the box unchanged, from the action between the first and last frame)."""
    name = v.name()
    if name is None:
        return []
    pairs: list[tuple[int, int, str]] = []
    t = int(rng.integers(v.total))
    pairs.append((t, t, "none"))
    if v.action == "rotate":  # a turning shape's box grows and shrinks: judge by orientation only
        change = "turned" if _visibly_turned(v) else None
    else:
        change = _box_change(v.boxes[0], v.boxes[-1], cfg.min_shift_px)
        same_box = v.boxes[0] is not None and v.boxes[0] == v.boxes[-1]
        if change is None and v.action == "change_color" and same_box:
            change = "colour"
    if change is not None:
        pairs.append((0, v.total - 1, change))
    moving = v.changes() if v.action != "rotate" else []
    for gap in (1, 2, 3):
        starts = [s for s in moving if s + gap < v.total]
        if not starts:
            continue
        s = int(starts[int(rng.integers(len(starts)))])
        small = _box_change(v.boxes[s], v.boxes[s + gap], cfg.min_shift_px)
        if small is not None:
            pairs.append((s, s + gap, small))
    te = (v.truth.get("effect") or {}).get("frame")
    event = {"change_color": "colour", "appear": "appeared", "disappear": "vanished"}.get(v.action)
    if event and isinstance(te, int) and 1 <= te < v.total:  # a pair across the instantaneous event
        pairs.append((int(rng.integers(0, te)), int(rng.integers(te, v.total)), event))
    still = _still_pair(v, te if event else None, rng)
    if still is not None:
        pairs.append((*still, "none"))
    out = []
    vocab = list(CHANGE_TEXT.values())
    for t1, t2, kind in pairs:
        answer = CHANGE_TEXT[kind]
        wrong = _pick(
            rng,
            [CHANGE_TEXT[CHANGE_OPPOSITE[kind]]] + ([] if kind == "none" else [CHANGE_TEXT["none"]]),
            vocab,
            cfg.n_options - 1,
            [answer],
        )
        out.append(
            _Draft(
                "Frame Comparison",
                f"Compare frame 1 and frame 2. What is different about {name}?",
                answer,
                wrong,
                [t1, t2],
                order="pair",
                numbered=True,
                meta={"change": kind, "gap": t2 - t1},
            )
        )
    return out


def _still_pair(v: _Video, event_frame: int | None, rng) -> tuple[int, int] | None:
    """Two distinct frames, at least two apart, between which the actor does not change (same
    box, on the same side of an event): different moments, nothing different about it."""
    if v.action == "rotate":
        return None
    pairs = []
    for a in range(v.total):
        for b in range(a + 2, v.total):
            if v.boxes[a] is None or any(v.boxes[t] != v.boxes[a] for t in range(a + 1, b + 1)):
                break
            if event_frame is None or (a < event_frame) == (b < event_frame):
                pairs.append((a, b))
    return pairs[int(rng.integers(len(pairs)))] if pairs else None


def _visibly_turned(v: _Video) -> bool:
    """Whether a rotation ends at an orientation that looks different from the start."""
    degrees = (v.truth.get("effect") or {}).get("degrees")
    period = ROTATION_PERIOD.get(v.objects[v.actor]["shape"], 360)
    return isinstance(degrees, int | float) and period > 1 and degrees % period != 0


def _ordered_frames(v: _Video, n: int) -> list[int] | None:
    """``n`` frames over the action, the actor visible in each, whose boxes change strictly
    monotonically along one coordinate (centre x, centre y or area), so any order but the
    true one (and its reversal) is visibly wrong. Rotations are left out: a turning shape's
    box is not a measure of its progress, and its symmetry can make two orders look alike."""
    span = v.motion_span()
    if span is None or v.action == "rotate":
        return None
    visible = [t for t in range(span[0], span[1] + 1) if v.boxes[t] is not None]
    if len(visible) < n:
        return None
    idx = [visible[int(k)] for k in np.round(np.linspace(0, len(visible) - 1, n)).astype(int)]
    boxes = [v.boxes[i] for i in idx]
    if len(set(idx)) < n:
        return None
    arr = np.array(boxes, dtype=float)
    feats = np.column_stack(
        [(arr[:, 0] + arr[:, 2]) / 2, (arr[:, 1] + arr[:, 3]) / 2, (arr[:, 2] - arr[:, 0]) * (arr[:, 3] - arr[:, 1])]
    )
    for col in feats.T:
        d = np.diff(col)
        if (d > 0).all() or (d < 0).all():
            return idx
    return None


def _random_derangement(rng, n: int, forbid: Sequence[Sequence[int]]) -> list[int]:
    forbid = {tuple(p) for p in forbid}
    while True:
        p = rng.permutation(n).tolist()
        if tuple(p) not in forbid:
            return p


def _adjust_or_not(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    """In order or perturbed (two frames swapped, a middle segment reversed, or shuffled);
    never fully reversed, since a reversed clip is itself a coherent clip."""
    out = []
    kinds = ["swapped", "segment-reversed", "shuffled"]
    for k, n in enumerate(cfg.order_frame_counts):
        idx = _ordered_frames(v, n)
        if idx is None:
            continue
        correct = (k + int(rng.integers(2))) % 2 == 0
        if correct:
            shown, order = idx, "original"
        else:
            order = kinds[int(rng.integers(len(kinds)))]
            ident, rev = list(range(n)), list(range(n))[::-1]
            if order == "swapped":
                i, j = sorted(rng.choice(n, 2, replace=False).tolist())
                perm = ident.copy()
                perm[i], perm[j] = perm[j], perm[i]
                if perm == rev:
                    order, perm = "shuffled", _random_derangement(rng, n, [ident, rev])
            elif order == "segment-reversed":
                i = int(rng.integers(0, n - 2))
                j = int(rng.integers(i + 2, n + 1))
                if i == 0 and j == n:
                    j = n - 1
                perm = ident[:i] + ident[i:j][::-1] + ident[j:]
            else:
                perm = _random_derangement(rng, n, [ident, rev])
            shown = [idx[p] for p in perm]
        answer, wrong = (ORDER_YES, [ORDER_NO]) if correct else (ORDER_NO, [ORDER_YES])
        out.append(
            _Draft(
                "Adjust or Not",
                "Are these frames shown in the correct temporal order?",
                answer,
                wrong,
                shown,
                order=order,
                meta={"frames": n},
            )
        )
    return out


def _perm_text(p: Sequence[int]) -> str:
    return ", ".join(str(i + 1) for i in p)


def _rearrangement(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    """Shuffled numbered frames; options are orders of the frame numbers. The reversal of
    the answer is never offered (it too gives a coherent clip)."""
    out = []
    for n in cfg.rearrange_frame_counts:
        idx = _ordered_frames(v, n)
        if idx is None:
            continue
        ident = list(range(n))
        perm = _random_derangement(rng, n, [ident, ident[::-1]])  # shown[k] = idx[perm[k]]
        restore = [perm.index(t) for t in range(n)]  # shown-frame numbers in true order
        forbidden = {tuple(restore), tuple(restore[::-1])}
        near = []
        for i in range(n - 1):  # near misses: two neighbours of the answer swapped
            q = restore.copy()
            q[i], q[i + 1] = q[i + 1], q[i]
            if tuple(q) not in forbidden:
                near.append(_perm_text(q))
        rest = [_perm_text(q) for q in itertools.permutations(range(n)) if tuple(q) not in forbidden]
        if len(rest) < cfg.n_options - 1:
            continue
        wrong = _pick(rng, near[:1], rest, cfg.n_options - 1, [_perm_text(restore)])
        out.append(
            _Draft(
                "Rearrangement",
                f"These {n} frames are shuffled. In which order of frame numbers do they restore the video?",
                _perm_text(restore),
                wrong,
                [idx[p] for p in perm],
                order="shuffled",
                numbered=True,
                meta={"frames": n, "perm": perm},
            )
        )
    return out


_MAKERS = {
    "Action": _action,
    "Speed": _speed,
    "Frame Count": _frame_count,
    "Meaning of Order": _meaning_of_order,
    "Frame Comparison": _frame_comparison,
    "Adjust or Not": _adjust_or_not,
    "Rearrangement": _rearrangement,
}


def _drafts_for(v: _Video, cfg: MiniConfig, rng, colour_names: Sequence[str]) -> dict[str, list[_Draft]]:
    out = {}
    for category in CATEGORIES:
        if category == "Effect":
            out[category] = _effect(v, cfg, rng, colour_names)
        else:
            out[category] = _MAKERS[category](v, cfg, rng)
    return out


def _allocate(drafts: dict[str, list[_Draft]], quota: int, start: int) -> list[_Draft]:
    """Round-robin over categories (starting at ``start`` so leftovers rotate between videos)
    until ``quota`` questions or every category is used up."""
    queues = {c: list(drafts[c]) for c in CATEGORIES}
    order = CATEGORIES[start % len(CATEGORIES) :] + CATEGORIES[: start % len(CATEGORIES)]
    chosen: list[_Draft] = []
    while len(chosen) < quota and any(queues.values()):
        for c in order:
            if queues[c] and len(chosen) < quota:
                chosen.append(queues[c].pop(0))
    return chosen


def build_items(
    truths: Sequence[dict[str, Any]],
    config: MiniConfig | None = None,
    video_prefix: str = "videos/",
    colour_names: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """FineVidBench-mini items from ground-truth records (bench split only).

    Deterministic given ``config.seed``. Answer letters are balanced per category: the
    answer of the k-th question with m options goes to letter k mod m.
    """
    cfg = config or MiniConfig()
    cfg.validate()
    wrong_split = [t.get("id") for t in truths if t.get("split") != "bench"]
    if wrong_split:
        raise ValueError(
            f"FineVidBench is built from the held-out 'bench' split only; got other splits for "
            f"{wrong_split[:5]}{' ...' if len(wrong_split) > 5 else ''}"
        )
    truths = sorted(truths, key=lambda t: t["id"])
    if len(truths) < cfg.n_videos:
        raise ValueError(f"asked for {cfg.n_videos} videos but only {len(truths)} bench videos were given")
    truths = truths[: cfg.n_videos]
    if colour_names is None:
        colour_names = sorted(
            {o["color"] for t in truths for o in t["objects"]} | {c for t in truths if (c := _final_colour(_Video(t)))}
        )
    letter_turn: Counter = Counter()
    items = []
    for vi, truth in enumerate(truths):
        rng = np.random.default_rng([cfg.seed, vi])
        v = _Video(truth)
        chosen = _allocate(_drafts_for(v, cfg, rng, colour_names), cfg.questions_per_video, vi)
        for qi, d in enumerate(chosen):
            options, answer = _place(d, letter_turn, rng)
            items.append(
                {
                    "id": f"{v.id}-q{qi:02d}",
                    "video": f"{video_prefix}{truth['video']}",
                    "level": LEVEL_OF[d.category],
                    "category": d.category,
                    "question": d.question,
                    "options": options,
                    "answer": answer,
                    "numbered": d.numbered,
                    "frames": {
                        "indices": [int(i) for i in d.indices],
                        "transform": None,
                        "speed": d.speed,
                        "order": d.order,
                    },
                    "source": f"synthetic:{v.id}",
                    "meta": {**d.meta, "truth_seed": truth.get("seed")},
                }
            )
    return items


def scene_question_drafts(
    truth: dict[str, Any], config: MiniConfig, rng, categories: Sequence[str], colour_names: Sequence[str]
) -> dict[str, list[_Draft]]:
    """Scene-level question drafts (Action, Effect, Speed) for one ground-truth record of any split.

    The benchmark builds only from bench-split truths (`build_items`); the experiment's small
    labelled SFT set asks the same questions of labelled-split videos, so both share these makers.
    Drafts are made in the order of ``categories``, drawing from ``rng``.
    """
    unknown = [c for c in categories if c not in SCENE_CATEGORIES]
    if unknown:
        raise ValueError(f"scene-level categories are {SCENE_CATEGORIES}, got {unknown}")
    v = _Video(truth)
    makers = {
        "Action": lambda: _action(v, config, rng),
        "Effect": lambda: _effect(v, config, rng, colour_names),
        "Speed": lambda: _speed(v, config, rng),
    }
    return {c: makers[c]() for c in categories}


def place_options(d: _Draft, turn: Counter, rng) -> tuple[list[str], str]:
    """Shuffle a draft's options, putting the answer at the next letter of a per-category
    rotation (``turn``), so answers are balanced over letters."""
    return _place(d, turn, rng)


def _place(d: _Draft, turn: Counter, rng) -> tuple[list[str], str]:
    opts = [d.answer] + [w for w in d.distractors if w != d.answer]
    if len(set(opts)) != len(opts) or len(opts) < 2:
        raise AssertionError(f"builder produced bad options for {d.category}: {opts}")
    m = len(opts)
    pos = turn[(d.category, m)] % m
    turn[(d.category, m)] += 1
    wrong = [opts[1:][i] for i in rng.permutation(m - 1)]
    options = wrong[:pos] + [d.answer] + wrong[pos:]
    return options, option_letters(m)[pos]


@dataclass
class BuildResult:
    path: Path
    items: list[dict[str, Any]]
    stats: list[dict[str, Any]]


def build_mini(
    world_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    n_videos: int = 120,
    questions_per_video: int = 25,
    seed: int = 0,
    **options: Any,
) -> BuildResult:
    """Build FineVidBench-mini from a synthetic world folder's bench split into ``out_dir``:
    ``finevidbench_mini.jsonl``, ``videos/`` (copies, so the folder is self-contained and no
    symlink leaves the data root), ``stats.csv`` and ``build.json`` (the parameters)."""
    from sf2t.world import COLORS, load_truth

    cfg = MiniConfig(n_videos=n_videos, questions_per_video=questions_per_video, seed=seed, **options)
    truths = load_truth(world_dir)
    items = build_items(truths, cfg, colour_names=sorted(COLORS))
    out = Path(out_dir)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    world = Path(world_dir)
    for name in sorted({Path(it["video"]).name for it in items}):
        src, dst = world / name, out / "videos" / name
        if not src.is_file():
            raise FileNotFoundError(f"{src}: video named by the ground truth is missing")
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)
    path = out / BENCH_FILE
    save_bench(items, path)
    stats = bench_stats(items)
    write_table(stats, out / "stats", caption="FineVidBench-mini statistics", source=f"sf2t bench build {world}")
    (out / "build.json").write_text(
        json.dumps(
            {
                "world_dir": str(world),
                "config": _config_dict(cfg),
                "videos": len({it["video"] for it in items}),
                "questions": len(items),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    return BuildResult(path, items, stats)


def _config_dict(cfg: MiniConfig) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}


__all__ = [
    "BuildResult",
    "MiniConfig",
    "build_items",
    "build_mini",
]
