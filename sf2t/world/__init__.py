"""The procedural video world: real H.264 clips of simple scenes, with exact ground truth.

A stand-in for Something-Something that runs on two CPU cores. Each clip shows one to
three flat shapes on a background (plain, stripes, checker or per-pixel noise); one of
them, the *actor*, undergoes one action from `ACTIONS` at a named speed, and the truth
records the action, its end state (the *effect*) and the box of every object in every
frame. Everything derives from one integer seed per video, so the same seed and
`WorldConfig` give byte-identical JSON and identical decoded frames.

Design choices (ours, not the paper's):

- **Speed** is the pace of the actor's change: ``SPEEDS[name]`` is the share of the
  frame's shorter side that a translation covers over the whole clip (so "fast" is
  twice "slow" at any frame size or clip length); grow/shrink change the size by half
  that share, rotate turns by `ROTATION_DEGREES`. ``speed_px_per_frame`` in the truth is
  the realised pace: centre speed for the translations (move_*, fall_off, collide), size
  change per frame for grow/shrink, the arc travelled by the outermost vertex for
  rotate. change_color, appear and disappear are instantaneous events: their speed name
  is still drawn (balanced) but does nothing, and ``speed_px_per_frame`` is 0.0; use
  `SPEED_ACTIONS` to ask speed questions only where speed is visible.
- **Balance**: consecutive seeds cycle through the configured actions, and every block of
  ``len(actions)`` seeds alternates the speed, so any ``2 * len(actions)`` consecutive
  videos cover every (action, speed) pair once.
- **Boxes** are ``[x0, y0, x1, y1]`` in pixels with ``x1, y1`` exclusive, the bounding box
  of the object's drawn pixels clipped to the frame, or ``null`` when none is visible.
  Objects never overlap (collide stops at touching: adjacent pixels).
- **Seeds**: see `video_seed`. Splits own disjoint seed ranges (`SPLITS`), and each run
  seed owns a disjoint block inside its split, so two runs never share a video.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import sys
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.records import RecordError, dumps, iter_jsonl, resolve_under, write_jsonl

# --------------------------------------------------------------------------- constants

ACTIONS: tuple[str, ...] = (
    "move_left",
    "move_right",
    "move_up",
    "move_down",
    "rotate",
    "grow",
    "shrink",
    "change_color",
    "appear",
    "disappear",
    "fall_off",
    "collide",
)

#: Actions whose pace the speed describes (the others are instantaneous events).
SPEED_ACTIONS: tuple[str, ...] = tuple(a for a in ACTIONS if a not in ("change_color", "appear", "disappear"))

#: Actions that move the actor's centre (direction questions make sense for these).
MOVING_ACTIONS: tuple[str, ...] = ("move_left", "move_right", "move_up", "move_down", "fall_off", "collide")

#: A short verb phrase per action, for captions and answer options.
ACTION_TEXT: dict[str, str] = {
    "move_left": "moves to the left",
    "move_right": "moves to the right",
    "move_up": "moves up",
    "move_down": "moves down",
    "rotate": "rotates",
    "grow": "grows",
    "shrink": "shrinks",
    "change_color": "changes colour",
    "appear": "appears",
    "disappear": "disappears",
    "fall_off": "leaves the frame across an edge",
    "collide": "moves until it touches another object",
}

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond")

#: Saturated object colours; backgrounds are grey, so colour always separates object from background.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 90, 230),
    "yellow": (235, 205, 30),
    "purple": (150, 60, 200),
    "orange": (250, 125, 10),
    "cyan": (30, 200, 210),
}

BACKGROUNDS: tuple[str, ...] = ("plain", "stripes", "checker", "noise")

#: Share of the frame's shorter side a translation covers over the clip (see module doc).
SPEEDS: dict[str, float] = {"slow": 0.3, "fast": 0.6}

#: Total rotation over the clip. Not a multiple of any shape's symmetry (90, 120 degrees), so the end
#: state differs from the start; small enough that 8 sampled frames turn by at most ~20 degrees
#: per step, well below the 45 degrees at which a square's turning direction becomes ambiguous.
ROTATION_DEGREES: dict[str, int] = {"slow": 70, "fast": 140}

#: Disjoint video-seed ranges ``[lo, hi)`` per split.
SPLITS: dict[str, tuple[int, int]] = {
    "train": (0, 1_000_000_000),
    "labelled": (1_000_000_000, 2_000_000_000),
    "bench": (2_000_000_000, 3_000_000_000),
}

#: Videos per run seed: run ``seed`` of a split owns video seeds ``lo + seed*SEED_BLOCK + [0, SEED_BLOCK)``.
SEED_BLOCK = 1_000_000

#: Run seeds a split can hold (``(hi - lo) / SEED_BLOCK``).
RUNS_PER_SPLIT = 1_000

#: Fields every truth record carries (the contract the benchmark builds on).
TRUTH_FIELDS: tuple[str, ...] = (
    "id",
    "split",
    "seed",
    "video",
    "width",
    "height",
    "num_frames",
    "fps",
    "background",
    "objects",
    "actor",
    "action",
    "effect",
    "speed",
    "speed_px_per_frame",
    "boxes",
)

DIRECTIONS: dict[str, tuple[int, int]] = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
EDGE_OF_DIRECTION = {"left": "left", "right": "right", "up": "top", "down": "bottom"}

_MARGIN = 1  # pixels kept free between a fully visible object and the frame edge
_GAP = 2  # pixels kept free between objects that must not touch


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class WorldConfig:
    """Everything about the world except the seed; validated on construction.

    ``backgrounds`` is the main difficulty knob: ``("plain",)`` is an easy world, the
    textured kinds (per-pixel ``"noise"`` most of all) make every temporal question harder.
    ``size_range`` is the object size as a share of the frame's shorter side.
    """

    width: int = 112
    height: int = 112
    num_frames: int = 32
    fps: float = 8.0
    backgrounds: tuple[str, ...] = BACKGROUNDS
    actions: tuple[str, ...] = ACTIONS
    shapes: tuple[str, ...] = SHAPES
    colors: tuple[str, ...] = tuple(COLORS)
    min_objects: int = 1
    max_objects: int = 3
    size_range: tuple[float, float] = (0.14, 0.22)
    noise_amplitude: int = 40
    crf: int = 14

    def __post_init__(self):
        for name in ("backgrounds", "actions", "shapes", "colors", "size_range"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"WorldConfig.{name} must be a sequence, got the string {value!r}")
            object.__setattr__(self, name, tuple(value))
        self.validate()

    def validate(self) -> None:
        problems = []

        def check_int(name, lo, hi):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or not lo <= v <= hi:
                problems.append(f"{name} must be an integer in [{lo}, {hi}], got {v!r}")
                return False
            return True

        for dim in ("width", "height"):
            if check_int(dim, 16, 2048) and getattr(self, dim) % 2:
                problems.append(f"{dim} must be even (H.264 yuv420p), got {getattr(self, dim)}")
        check_int("num_frames", 8, 100_000)
        check_int("crf", 0, 51)
        check_int("noise_amplitude", 0, 127)
        if not isinstance(self.fps, int | float) or not math.isfinite(self.fps) or not 0 < self.fps <= 240:
            problems.append(f"fps must be a number in (0, 240], got {self.fps!r}")
        for name, allowed in (
            ("backgrounds", BACKGROUNDS),
            ("actions", ACTIONS),
            ("shapes", SHAPES),
            ("colors", tuple(COLORS)),
        ):
            values = getattr(self, name)
            unknown = [v for v in values if v not in allowed]
            if not values:
                problems.append(f"{name} is empty; choose from {allowed}")
            elif unknown:
                problems.append(f"unknown {name} {unknown}; choose from {allowed}")
            elif len(set(values)) != len(values):
                problems.append(f"{name} has duplicates: {values}")
        if check_int("min_objects", 1, 5) & check_int("max_objects", 1, 5):
            if self.min_objects > self.max_objects:
                problems.append(f"min_objects {self.min_objects} > max_objects {self.max_objects}")
            if "collide" in self.actions and self.max_objects < 2:
                problems.append("action 'collide' needs max_objects >= 2")
            need = max(self.max_objects, 2 if "collide" in self.actions else 1)
            need += 1 if "change_color" in self.actions else 0
            if len(set(self.colors)) < need:
                problems.append(
                    f"{len(self.colors)} colours cannot give {self.max_objects} objects distinct "
                    f"colours (plus a new one for change_color): need {need}"
                )
        if "rotate" in self.actions and set(self.shapes) <= {"circle"}:
            problems.append("action 'rotate' needs a shape other than circle (a rotating circle looks static)")
        sr = self.size_range
        if len(sr) != 2 or not all(isinstance(v, int | float) for v in sr) or not 0 < sr[0] <= sr[1] <= 0.3:
            problems.append(f"size_range must be (lo, hi) with 0 < lo <= hi <= 0.3, got {sr!r}")
        elif sr[0] * min(self.width, self.height) < 4:
            problems.append(f"size_range lo {sr[0]} gives objects under 4 px at {self.width}x{self.height}")
        if problems:
            raise ValueError("invalid WorldConfig:\n  " + "\n  ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorldConfig:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown WorldConfig field(s) {unknown}")
        return cls(**d)


# --------------------------------------------------------------------------- seeds


def video_seed(split: str, run_seed: int, index: int) -> int:
    """The seed of video ``index`` of run ``run_seed`` in ``split``.

    Rule: ``SPLITS[split][0] + run_seed * SEED_BLOCK + index``. Each run seed owns its own
    block of `SEED_BLOCK` seeds, so runs with different seeds never overlap, and a run of
    ``n`` videos is the prefix of any longer run with the same seed.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {tuple(SPLITS)}")
    if isinstance(run_seed, bool) or not isinstance(run_seed, int | np.integer) or not 0 <= run_seed < RUNS_PER_SPLIT:
        raise ValueError(f"run seed must be an integer in [0, {RUNS_PER_SPLIT}), got {run_seed!r}")
    if not 0 <= index < SEED_BLOCK:
        raise ValueError(f"video index must be in [0, {SEED_BLOCK}), got {index}")
    return SPLITS[split][0] + int(run_seed) * SEED_BLOCK + int(index)


def split_of(seed: int) -> str:
    """The split whose seed range holds ``seed``."""
    for name, (lo, hi) in SPLITS.items():
        if lo <= seed < hi:
            return name
    raise ValueError(f"video seed {seed} lies outside every split range {SPLITS}")


def video_id(seed: int) -> str:
    """``<split>-<offset within the split, at least 6 digits>``, e.g. ``bench-000012``."""
    split = split_of(seed)
    return f"{split}-{seed - SPLITS[split][0]:06d}"


# --------------------------------------------------------------------------- geometry


def shape_mask(shape: str, cx: float, cy: float, size: float, angle: float, width: int, height: int):
    """Pixels of a shape as ``(x0, y0, mask)`` (mask is a local window), or None if off-frame.

    A pixel belongs to the shape when its centre lies inside it; ``angle`` is in degrees,
    clockwise on screen. Every shape fits an unrotated ``size`` x ``size`` box centred at
    ``(cx, cy)``; the triangle points up. Shifting the centre by whole pixels shifts the
    mask exactly, which collide relies on.
    """
    reach = size * 0.75 + 1.0
    x0, x1 = max(0, math.floor(cx - reach)), min(width, math.ceil(cx + reach) + 1)
    y0, y1 = max(0, math.floor(cy - reach)), min(height, math.ceil(cy + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    x = (np.arange(x0, x1) + 0.5 - cx)[None, :]
    y = (np.arange(y0, y1) + 0.5 - cy)[:, None]
    if angle % 360:
        t = math.radians(angle)
        u, v = x * math.cos(t) + y * math.sin(t), -x * math.sin(t) + y * math.cos(t)
    else:
        u, v = x, y
    h = size / 2.0
    if shape == "circle":
        mask = x * x + y * y <= h * h
    elif shape == "square":
        mask = (np.abs(u) <= h) & (np.abs(v) <= h)
    elif shape == "diamond":
        mask = np.abs(u) + np.abs(v) <= h
    elif shape == "triangle":
        mask = (v <= h) & (np.abs(u) <= (v + h) / 2.0)
    else:
        raise ValueError(f"unknown shape {shape!r}; choose one of {SHAPES}")
    mask = np.broadcast_to(mask, (y1 - y0, x1 - x0))
    if not mask.any():
        return None
    return x0, y0, mask


def _box_of(local) -> list[int] | None:
    if local is None:
        return None
    x0, y0, mask = local
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return [int(x0 + cols[0]), int(y0 + rows[0]), int(x0 + cols[-1] + 1), int(y0 + rows[-1] + 1)]


def _full_mask(local, width: int, height: int) -> np.ndarray:
    full = np.zeros((height, width), dtype=bool)
    if local is not None:
        x0, y0, mask = local
        full[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]] = mask
    return full


def _gap_along(actor: np.ndarray, other: np.ndarray, direction: str) -> int:
    """Free pixels between two full-frame masks when ``actor`` moves toward ``other``."""
    a, b = actor, other
    if direction in ("up", "down"):
        a, b = a.T, b.T
    if direction in ("left", "up"):
        a, b = a[:, ::-1], b[:, ::-1]
    rows = a.any(axis=1) & b.any(axis=1)
    if not rows.any():
        raise _Retry("objects do not share a row on the collision axis")
    a, b = a[rows], b[rows]
    a_far = a.shape[1] - 1 - np.argmax(a[:, ::-1], axis=1)  # actor's leading pixel per row
    b_near = np.argmax(b, axis=1)  # other's first pixel per row
    return int((b_near - a_far - 1).min())


def _touching(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two masks share a pixel edge (4-neighbourhood) or overlap."""
    grown = a.copy()
    grown[1:] |= a[:-1]
    grown[:-1] |= a[1:]
    grown[:, 1:] |= a[:, :-1]
    grown[:, :-1] |= a[:, 1:]
    return bool((grown & b).any())


def region_of(cx: float, cy: float, width: int, height: int) -> str:
    """The cell of a 3 x 3 grid holding a point: "top left", "top", ..., "center", ..., "bottom right"."""
    row = ("top", "", "bottom")[min(2, int(3 * cy / height))]
    col = ("left", "", "right")[min(2, int(3 * cx / width))]
    return " ".join(p for p in (row, col) if p) or "center"


# --------------------------------------------------------------------------- planning


class _Retry(Exception):
    """A random layout that does not fit; the planner draws again."""


@dataclass
class _Track:
    """One object's state in every frame."""

    shape: str
    color: list[str]
    cx: np.ndarray
    cy: np.ndarray
    size: np.ndarray
    angle: np.ndarray
    visible: np.ndarray

    @classmethod
    def static(cls, shape, color, cx, cy, size, frames):
        full = np.full(frames, 1.0)
        return cls(shape, [color] * frames, full * cx, full * cy, full * size, full * 0.0, np.ones(frames, dtype=bool))

    def local(self, t: int, width: int, height: int):
        if not self.visible[t]:
            return None
        return shape_mask(
            self.shape, float(self.cx[t]), float(self.cy[t]), float(self.size[t]), float(self.angle[t]), width, height
        )


@dataclass
class _Plan:
    tracks: list[_Track]
    actor: int
    action: str
    speed: str
    speed_px_per_frame: float
    effect: dict[str, Any]  # filled in after the boxes are known


def _axis(direction: str, cfg: WorldConfig) -> tuple[int, int, int]:
    """(axis 0=x/1=y, sign, length along that axis)."""
    dx, dy = DIRECTIONS[direction]
    return (0, dx, cfg.width) if dx else (1, dy, cfg.height)


def _uniform(rng, lo: float, hi: float) -> float:
    if lo > hi:
        raise _Retry(f"empty range [{lo:.1f}, {hi:.1f}]")
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


def _plan_actor(rng, action, speed, shape, color, size, cfg, new_color):
    """The actor's track, plus (for collide) the other object's track, and the realised pace."""
    W, H, T = cfg.width, cfg.height, cfg.num_frames
    side = min(W, H)
    share = SPEEDS[speed]
    v = share * side / (T - 1)  # translation pace in px/frame
    t = np.arange(T, dtype=float)
    m = _MARGIN
    h = size / 2.0
    other = None

    def place(half):
        return _uniform(rng, half + m, W - half - m), _uniform(rng, half + m, H - half - m)

    if action.startswith("move_"):
        direction = action.split("_")[1]
        axis, sign, length = _axis(direction, cfg)
        dist = v * (T - 1)
        lo, hi = h + m, length - h - m
        p0 = _uniform(rng, lo, hi - dist) if sign > 0 else _uniform(rng, lo + dist, hi)
        q = _uniform(rng, h + m, (H if axis == 0 else W) - h - m)
        along = p0 + sign * v * t
        cx, cy = (along, np.full(T, q)) if axis == 0 else (np.full(T, q), along)
        track = _Track.static(shape, color, 0, 0, size, T)
        track.cx, track.cy = cx, cy
        return track, other, v, {"direction": direction, "distance_px": round(dist, 2)}

    if action == "fall_off":
        direction = str(rng.choice(list(DIRECTIONS)))
        axis, sign, length = _axis(direction, cfg)
        # centre this far beyond the edge => no pixel centre can be inside the shape
        exit_pos = (length + h + 1.0) if sign > 0 else -(h + 1.0)
        te_min = math.ceil((2 * h + 1.0 + m) / v)  # frame 0 fully visible
        te_max = min(T - 2, math.floor((length + 1.0 - m) / v))  # starts inside, gone before the end
        if te_min > te_max:
            raise _Retry("object too large to leave the frame at this speed")
        te = int(rng.integers(te_min, te_max + 1))
        along = exit_pos - sign * v * (te - t)
        q = _uniform(rng, h + m, (H if axis == 0 else W) - h - m)
        track = _Track.static(shape, color, 0, 0, size, T)
        track.cx, track.cy = (along, np.full(T, q)) if axis == 0 else (np.full(T, q), along)
        return track, other, v, {"direction": direction, "edge": EDGE_OF_DIRECTION[direction]}

    if action == "rotate":
        degrees = ROTATION_DEGREES[speed]
        sign = int(rng.choice([1, -1]))
        cx, cy = place(size / math.sqrt(2) + 0.5)
        track = _Track.static(shape, color, cx, cy, size, T)
        track.angle = sign * degrees * t / (T - 1)
        radius = h * math.sqrt(2) if shape in ("square", "triangle") else h
        pace = math.radians(degrees / (T - 1)) * radius
        return track, other, pace, {"direction": "clockwise" if sign > 0 else "counterclockwise", "degrees": degrees}

    if action in ("grow", "shrink"):
        delta = 0.5 * share * side  # size change over the clip
        small, big = size, size + delta
        cx, cy = place(big / 2)
        track = _Track.static(shape, color, cx, cy, size, T)
        frac = t / (T - 1)
        track.size = small + delta * frac if action == "grow" else big - delta * frac
        return track, other, delta / (T - 1), {}

    if action in ("change_color", "appear", "disappear"):
        lo, hi = max(1, round(0.25 * (T - 1))), min(T - 1, round(0.75 * (T - 1)))
        te = int(rng.integers(lo, hi + 1))
        cx, cy = place(h)
        track = _Track.static(shape, color, cx, cy, size, T)
        if action == "change_color":
            track.color = [color if i < te else new_color for i in range(T)]
        elif action == "appear":
            track.visible = t >= te
        else:
            track.visible = t < te
        return track, other, 0.0, {"frame": te}

    if action == "collide":
        return _plan_collide(rng, shape, color, size, cfg, v)

    raise ValueError(f"unknown action {action!r}")


def _plan_collide(rng, shape, color, size, cfg, v):
    """The actor moves at ``v`` toward a still object and stops when their pixels touch."""
    W, H, T = cfg.width, cfg.height, cfg.num_frames
    side, m = min(W, H), _MARGIN
    direction = str(rng.choice(list(DIRECTIONS)))
    axis, sign, length = _axis(direction, cfg)
    other_shape = str(rng.choice(cfg.shapes))
    other_size = int(round(rng.uniform(*cfg.size_range) * side))
    ha, ho = size / 2.0, other_size / 2.0
    tc_lo = math.ceil(0.45 * (T - 1))
    tc_hi = min(math.floor(0.8 * (T - 1)), math.floor((length - 2 * m - size - other_size - 2.0) / v))
    if tc_lo > tc_hi:
        raise _Retry("collision path does not fit")
    tc = int(rng.integers(tc_lo, tc_hi + 1))
    travel = v * tc
    # canonical coordinates (moving toward +axis); mirrored afterwards for negative directions
    other_p = _uniform(rng, m + size + travel + ho + 1.0, length - ho - m)
    cross_len = H if axis == 0 else W
    cross = _uniform(rng, max(ha, ho) + m, cross_len - max(ha, ho) - m)
    offset = float(rng.uniform(-1, 1)) * min(ha, ho) / 2
    actor_cross = min(max(cross + offset, ha + m), cross_len - ha - m)
    provisional = other_p - (ha + ho + 1.0)
    if sign < 0:
        other_p, provisional = length - other_p, length - provisional

    def point(p, q):
        return (p, q) if axis == 0 else (q, p)

    a_local = shape_mask(shape, *point(provisional, actor_cross), size, 0.0, W, H)
    o_local = shape_mask(other_shape, *point(other_p, cross), other_size, 0.0, W, H)
    gap = _gap_along(_full_mask(a_local, W, H), _full_mask(o_local, W, H), direction)
    if gap < 0:
        raise _Retry("provisional collide layout overlaps")
    final = provisional + sign * gap  # whole-pixel shift: the mask moves exactly
    a_final = _full_mask(shape_mask(shape, *point(final, actor_cross), size, 0.0, W, H), W, H)
    o_full = _full_mask(o_local, W, H)
    if (a_final & o_full).any() or not _touching(a_final, o_full):
        raise _Retry("rasterisation at the contact position does not touch cleanly")
    start = final - sign * travel
    if not (ha + m <= start <= length - ha - m):
        raise _Retry("collide start leaves the frame")
    t = np.arange(T, dtype=float)
    along = np.where(t >= tc, final, final - sign * v * (tc - t))
    track = _Track.static(shape, color, 0, 0, size, T)
    track.cx, track.cy = (along, np.full(T, actor_cross)) if axis == 0 else (np.full(T, actor_cross), along)
    ocx, ocy = point(other_p, cross)
    return track, (other_shape, other_size, ocx, ocy), v, {"direction": direction}


def _boxes_overlap(a, b, gap):
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1])


def _swept_box(track: _Track, cfg: WorldConfig) -> list[int] | None:
    boxes = [b for b in (_box_of(track.local(i, cfg.width, cfg.height)) for i in range(cfg.num_frames)) if b]
    if not boxes:
        return None
    a = np.array(boxes)
    return [int(a[:, 0].min()), int(a[:, 1].min()), int(a[:, 2].max()), int(a[:, 3].max())]


def _try_plan(rng, action: str, speed: str, cfg: WorldConfig) -> _Plan:
    side, T = min(cfg.width, cfg.height), cfg.num_frames
    n = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    if action == "collide":
        n = max(2, n)
    colors = [str(c) for c in rng.choice(cfg.colors, size=n, replace=False)]
    spare = [c for c in cfg.colors if c not in colors]
    new_color = str(rng.choice(spare)) if action == "change_color" else None
    shapes = [str(s) for s in rng.choice(cfg.shapes, size=n)]
    if action == "rotate" and shapes[0] == "circle":
        shapes[0] = str(rng.choice([s for s in cfg.shapes if s != "circle"]))
    sizes = [int(round(rng.uniform(*cfg.size_range) * side)) for _ in range(n)]

    actor, other, pace, effect = _plan_actor(rng, action, speed, shapes[0], colors[0], sizes[0], cfg, new_color)
    tracks = [actor]
    reserved = [_swept_box(actor, cfg)]
    first_distractor = 1
    if other is not None:
        o_shape, o_size, ocx, ocy = other
        shapes[1], sizes[1] = o_shape, o_size
        tracks.append(_Track.static(o_shape, colors[1], ocx, ocy, o_size, T))
        reserved.append(_swept_box(tracks[1], cfg))
        first_distractor = 2
    reserved = [b for b in reserved if b]
    for k in range(first_distractor, n):
        h = sizes[k] / 2.0
        for _ in range(50):
            cx = _uniform(rng, h + _MARGIN, cfg.width - h - _MARGIN)
            cy = _uniform(rng, h + _MARGIN, cfg.height - h - _MARGIN)
            candidate = _Track.static(shapes[k], colors[k], cx, cy, sizes[k], T)
            box = _box_of(candidate.local(0, cfg.width, cfg.height))
            if box and not any(_boxes_overlap(box, r, _GAP) for r in reserved):
                tracks.append(candidate)
                reserved.append(box)
                break
        # a distractor that finds no free place is left out: the scene has fewer objects

    # shuffle the drawing/list order so the actor's index carries no information
    order = [int(i) for i in rng.permutation(len(tracks))]
    tracks = [tracks[i] for i in order]
    actor_index = order.index(0)
    if other is not None:
        effect["other"] = order.index(1)
    effect["new_color"] = new_color
    return _Plan(tracks, actor_index, action, speed, pace, effect)


def _plan_scene(seed: int, cfg: WorldConfig) -> tuple[_Plan, np.random.Generator]:
    actions = cfg.actions
    action = actions[seed % len(actions)]
    speed = tuple(SPEEDS)[(seed // len(actions)) % len(SPEEDS)]
    scene_seq, bg_seq = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(scene_seq)
    for _ in range(200):
        try:
            return _try_plan(rng, action, speed, cfg), np.random.default_rng(bg_seq)
        except _Retry:
            continue
    raise RuntimeError(
        f"seed {seed}: no {action} layout fits a {cfg.width}x{cfg.height} frame after 200 draws; "
        "make the frame larger or size_range smaller"
    )


# --------------------------------------------------------------------------- rendering


def _background(rng, kind: str, cfg: WorldConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """A static grey background (grey keeps every object colour distinct from it)."""
    H, W = cfg.height, cfg.width
    side = min(W, H)
    if kind == "plain":
        g = int(rng.integers(70, 191))
        img = np.full((H, W), g, dtype=np.uint8)
        desc = {"kind": "plain", "color": [g, g, g]}
    elif kind in ("stripes", "checker"):
        base, contrast = int(rng.integers(80, 176)), int(rng.integers(40, 81))
        g1, g2 = base - contrast // 2, base + contrast // 2
        period = int(rng.integers(max(4, side // 16), max(6, side // 5) + 1))
        y, x = np.mgrid[0:H, 0:W]
        if kind == "stripes":
            orientation = str(rng.choice(["vertical", "horizontal", "diagonal"]))
            coord = {"vertical": x, "horizontal": y, "diagonal": x + y}[orientation]
            band = (coord // max(1, period // 2)) % 2
            desc = {"kind": "stripes", "colors": [[g1] * 3, [g2] * 3], "period": period, "orientation": orientation}
        else:
            band = ((x // period) + (y // period)) % 2
            desc = {"kind": "checker", "colors": [[g1] * 3, [g2] * 3], "cell": period}
        img = np.where(band == 0, g1, g2).astype(np.uint8)
    elif kind == "noise":
        mean, amp = int(rng.integers(90, 166)), cfg.noise_amplitude
        img = np.clip(mean + rng.integers(-amp, amp + 1, size=(H, W)), 0, 255).astype(np.uint8)
        desc = {"kind": "noise", "mean": mean, "amplitude": amp}
    else:
        raise ValueError(f"unknown background {kind!r}; choose one of {BACKGROUNDS}")
    return np.repeat(img[:, :, None], 3, axis=2), desc


def _noun(track: _Track, color: str | None = None) -> str:
    return f"{color or track.color[0]} {track.shape}"


def _effect(plan: _Plan, boxes, masks_at, cfg: WorldConfig) -> dict[str, Any]:
    """The end state of the action, as data plus one sentence."""
    a = plan.tracks[plan.actor]
    T, W, H = cfg.num_frames, cfg.width, cfg.height
    info = dict(plan.effect)
    new_color = info.pop("new_color")
    noun = _noun(a)
    last = boxes[-1][plan.actor]
    act = plan.action
    if act.startswith("move_"):
        region = region_of(a.cx[-1], a.cy[-1], W, H)
        start = region_of(a.cx[0], a.cy[0], W, H)
        return {
            "kind": "position",
            "region": region,
            "start_region": start,
            "box": last,
            **info,
            "text": f"the {noun} ends up in the {region} of the frame",
        }
    if act == "fall_off":
        gone = next(i for i in range(T) if boxes[i][plan.actor] is None)
        return {
            "kind": "exit",
            "frame": gone,
            "box": None,
            **info,
            "text": f"the {noun} has left the frame across the {info['edge']} edge",
        }
    if act == "rotate":
        return {
            "kind": "rotation",
            "box": last,
            **info,
            "text": f"the {noun} has turned {info['degrees']} degrees {info['direction']}",
        }
    if act in ("grow", "shrink"):
        s0, s1 = int(round(a.size[0])), int(round(a.size[-1]))
        word = "bigger" if act == "grow" else "smaller"
        return {
            "kind": "size",
            "from": s0,
            "to": s1,
            "box": last,
            "text": f"the {noun} is {word} than at the start ({s0} px to {s1} px)",
        }
    if act == "change_color":
        return {
            "kind": "color",
            "from": a.color[0],
            "to": new_color,
            "frame": info["frame"],
            "box": last,
            "text": f"the {noun} has turned {new_color}",
        }
    if act == "appear":
        return {
            "kind": "visibility",
            "visible": True,
            "frame": info["frame"],
            "box": last,
            "text": f"{'an' if noun[0] in 'aeiou' else 'a'} {noun} is now in the scene",
        }
    if act == "disappear":
        return {
            "kind": "visibility",
            "visible": False,
            "frame": info["frame"],
            "box": None,
            "text": f"the {noun} is gone",
        }
    if act == "collide":
        other = info["other"]
        touch = next(i for i in range(T) if _touching(masks_at(i, plan.actor), masks_at(i, other)))
        return {
            "kind": "contact",
            "frame": touch,
            "box": last,
            **info,
            "text": f"the {noun} touches the {_noun(plan.tracks[other])}",
        }
    raise ValueError(f"unknown action {act!r}")


def render_video(seed: int, config: WorldConfig | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Frames ``(T, H, W, 3)`` uint8 and the truth record of video ``seed`` (no files written)."""
    cfg = config or WorldConfig()
    seed = int(seed)
    vid = video_id(seed)  # also checks the seed belongs to a split
    plan, bg_rng = _plan_scene(seed, cfg)
    bg_kind = cfg.backgrounds[int(bg_rng.integers(len(cfg.backgrounds)))]
    background, bg_desc = _background(bg_rng, bg_kind, cfg)
    W, H, T = cfg.width, cfg.height, cfg.num_frames

    frames = np.repeat(background[None], T, axis=0)
    boxes: list[list[list[int] | None]] = []
    locals_: list[list[Any]] = []
    for t in range(T):
        row, loc_row = [], []
        for track in plan.tracks:
            local = track.local(t, W, H)
            loc_row.append(local)
            row.append(_box_of(local))
            if local is not None:
                x0, y0, mask = local
                window = frames[t, y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
                window[mask] = COLORS[track.color[t]]
        boxes.append(row)
        locals_.append(loc_row)

    def masks_at(t, k):
        return _full_mask(locals_[t][k], W, H)

    for t in range(T):  # the layout rules, checked on the pixels themselves
        for i in range(len(plan.tracks)):
            for j in range(i + 1, len(plan.tracks)):
                if locals_[t][i] is not None and locals_[t][j] is not None and (masks_at(t, i) & masks_at(t, j)).any():
                    raise RuntimeError(f"seed {seed}: objects {i} and {j} overlap in frame {t} (a planner bug)")

    actor = plan.tracks[plan.actor]
    truth = {
        "id": vid,
        "split": split_of(seed),
        "seed": seed,
        "video": f"{vid}.mp4",
        "width": W,
        "height": H,
        "num_frames": T,
        "fps": float(cfg.fps),
        "background": bg_desc,
        "objects": [{"shape": tr.shape, "color": tr.color[0], "size": int(round(tr.size[0]))} for tr in plan.tracks],
        "actor": plan.actor,
        "action": plan.action,
        "effect": _effect(plan, boxes, masks_at, cfg),
        "speed": plan.speed,
        "speed_px_per_frame": round(float(plan.speed_px_per_frame), 4),
        "boxes": boxes,
        "caption": _caption(plan, actor, bg_desc["kind"]),
    }
    return frames, truth


def _caption(plan: _Plan, actor: _Track, background: str) -> str:
    pace = {"slow": "slowly ", "fast": "quickly "}[plan.speed] if plan.action in SPEED_ACTIONS else ""
    bg = {"plain": "a plain", "stripes": "a striped", "checker": "a checkered", "noise": "a noisy"}[background]
    noun = _noun(actor)
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{article} {noun} {pace}{ACTION_TEXT[plan.action]} on {bg} background"


# --------------------------------------------------------------------------- files


def write_mp4(path: str | os.PathLike, frames: np.ndarray, fps: float, crf: int = 14) -> None:
    """Encode RGB frames as H.264 (libx264, yuv420p, ultrafast) in an MP4, deterministically.

    One encoder thread makes the bitstream a pure function of the frames and settings
    (byte-identical files for equal input); the file appears atomically.
    """
    import av

    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"{path}: expected (T, H, W, 3) uint8 frames, got {frames.shape} {frames.dtype}")
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"{path}: yuv420p needs even width and height, got {frames.shape[2]}x{frames.shape[1]}")
    tmp = path.with_name(path.name + ".tmp.mp4")
    rate = Fraction(str(fps)).limit_denominator(1001)
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=rate, options={"crf": str(crf), "preset": "ultrafast", "threads": "1"}
        )
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.codec_context.thread_count = 1
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    os.replace(tmp, path)


def make_video(seed: int, out_dir: str | os.PathLike, config: WorldConfig | None = None) -> dict[str, Any]:
    """Write ``<id>.mp4`` and ``<id>.json`` for video ``seed`` into ``out_dir``; returns the truth."""
    cfg = config or WorldConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames, truth = render_video(seed, cfg)
    write_mp4(out / truth["video"], frames, cfg.fps, cfg.crf)
    tmp = out / f"{truth['id']}.json.tmp"
    tmp.write_text(dumps(truth) + "\n", encoding="utf-8")
    os.replace(tmp, out / f"{truth['id']}.json")  # written last: a .json means the .mp4 is complete
    return truth


def _existing(out: Path, seed: int) -> dict[str, Any] | None:
    """The truth of an already written video (resume), or None."""
    vid = video_id(seed)
    js, mp4 = out / f"{vid}.json", out / f"{vid}.mp4"
    if not (js.exists() and mp4.exists()):
        return None
    try:
        truth = json.loads(js.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return truth if truth.get("seed") == seed else None


def _make_one(job: tuple[int, str, dict[str, Any]]) -> dict[str, Any]:
    seed, out_dir, cfg_dict = job
    out = Path(out_dir)
    return _existing(out, seed) or make_video(seed, out, WorldConfig.from_dict(cfg_dict))


def generate(
    out_dir: str | os.PathLike,
    n: int,
    split: str,
    seed: int = 0,
    config: WorldConfig | None = None,
    workers: int = 1,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Make ``n`` videos of ``split`` into ``out_dir`` with ``index.jsonl`` and ``world.json``.

    Video ``i`` gets seed ``video_seed(split, seed, i)``: run seeds own disjoint blocks, so
    different ``seed`` values never share a video. Re-running the same world in the same
    folder resumes (videos already written are kept); a folder holding a different world
    (other config, split or seed) is refused.
    """
    from tqdm import tqdm

    cfg = config or WorldConfig()
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= SEED_BLOCK:
        raise ValueError(f"n must be an integer in [1, {SEED_BLOCK}], got {n!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    seeds = [video_seed(split, seed, i) for i in range(n)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = {
        "config": cfg.to_dict(),
        "split": split,
        "seed": int(seed),
        "seed_rule": f"video seed = {SPLITS[split][0]} + {int(seed)} * {SEED_BLOCK} + index",
    }
    world_path = out / "world.json"
    if world_path.exists():
        try:
            old = json.loads(world_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{world_path}: not valid JSON ({exc.msg}); remove it or use another folder") from exc
        old_core = {k: old.get(k) for k in ("config", "split", "seed")}
        if old_core != {k: world[k] for k in ("config", "split", "seed")}:
            raise ValueError(
                f"{out} already holds another world (split {old.get('split')!r}, "
                f"seed {old.get('seed')!r}, or a different config); use an empty folder"
            )
    (out / "world.json").write_text(dumps({**world, "n": n}) + "\n", encoding="utf-8")

    jobs = [(s, str(out), cfg.to_dict()) for s in seeds]
    bar = tqdm(total=n, desc=f"synth {split}", unit="clip", disable=not progress)
    truths: list[dict[str, Any]] = []
    try:
        if workers == 1:
            for job in jobs:
                truths.append(_make_one(job))
                bar.update(1)
        else:
            ctx = multiprocessing.get_context("spawn")  # safe even when the parent holds threads (torch)
            with ctx.Pool(workers) as pool:
                for truth in pool.imap(_make_one, jobs, chunksize=max(1, min(16, n // (workers * 8)))):
                    truths.append(truth)
                    bar.update(1)
    finally:
        bar.close()
    write_jsonl(out / "index.jsonl", truths)
    return truths


# --------------------------------------------------------------------------- reading and checking


def _truth_problems(rec: dict[str, Any]) -> list[str]:
    problems = []
    missing = [k for k in TRUTH_FIELDS if k not in rec]
    if missing:
        return [f"missing field(s) {', '.join(missing)}"]
    if rec["action"] not in ACTIONS:
        problems.append(f"unknown action {rec['action']!r}")
    if rec["split"] not in SPLITS:
        problems.append(f"unknown split {rec['split']!r}")
    elif not isinstance(rec["seed"], int) or not SPLITS[rec["split"]][0] <= rec["seed"] < SPLITS[rec["split"]][1]:
        problems.append(f"seed {rec['seed']!r} is outside the {rec['split']} range {SPLITS[rec['split']]}")
    if not isinstance(rec["boxes"], list) or len(rec["boxes"]) != rec["num_frames"]:
        problems.append(f"boxes must list {rec['num_frames']} frames")
    elif any(not isinstance(row, list) or len(row) != len(rec["objects"]) for row in rec["boxes"]):
        problems.append(f"every frame of boxes must have one entry per object ({len(rec['objects'])})")
    if not isinstance(rec["actor"], int) or not 0 <= rec["actor"] < len(rec["objects"]):
        problems.append(f"actor {rec['actor']!r} is not an object index")
    if not isinstance(rec["video"], str):
        problems.append("video must be a relative path string")
    return problems


def load_truth(directory: str | os.PathLike, check_files: bool = True) -> list[dict[str, Any]]:
    """The truth records of a world folder (its ``index.jsonl``), validated.

    Every malformed line is reported with its number in one `RecordError`; with
    ``check_files`` a missing video file (or one outside the folder) is such a problem too.
    """
    root = Path(directory)
    index = root / "index.jsonl"
    if not index.is_file():
        raise FileNotFoundError(f"{root}: no index.jsonl here; not a folder written by `sf2t synth`")
    records, problems = [], []
    for n, rec, err in iter_jsonl(index):
        errs = [err] if err else _truth_problems(rec)
        if not errs and check_files:
            try:
                if not resolve_under(root, rec["video"]).is_file():
                    errs.append(f"video file {rec['video']!r} does not exist")
            except ValueError as exc:
                errs.append(str(exc))
        problems.extend((n, e) for e in errs)
        if not errs:
            records.append(rec)
    if problems:
        raise RecordError(index, problems)
    return records


class OverlapError(ValueError):
    """Two world folders share a video seed or id (data leaking between splits or runs)."""


def check_disjoint(*dirs: str | os.PathLike) -> dict[str, int]:
    """Raise `OverlapError` if any video seed or id occurs twice across ``dirs``.

    Returns the number of videos per folder when they are disjoint.
    """
    if not dirs:
        raise ValueError("check_disjoint needs at least one folder")
    seen_seed: dict[int, str] = {}
    seen_id: dict[str, str] = {}
    clashes: list[str] = []
    counts: dict[str, int] = {}
    for d in dirs:
        truths = load_truth(d, check_files=False)
        counts[str(d)] = len(truths)
        for t in truths:
            for key, seen, label in ((t["seed"], seen_seed, "seed"), (t["id"], seen_id, "id")):
                if key in seen:
                    clashes.append(f"video {label} {key!r} occurs in {seen[key]} and in {d}")
                else:
                    seen[key] = str(d)
    if clashes:
        shown = "\n  ".join(clashes[:10])
        more = f"\n  ... and {len(clashes) - 10} more" if len(clashes) > 10 else ""
        raise OverlapError(f"{len(clashes)} overlap(s) between world folders:\n  {shown}{more}")
    return counts


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="output folder (videos, <id>.json, index.jsonl, world.json)")
    parser.add_argument("--n", type=int, default=100, help="number of videos (default 100)")
    parser.add_argument("--seed", type=int, default=0, help=f"run seed in [0, {RUNS_PER_SPLIT}) (default 0)")
    parser.add_argument("--split", choices=tuple(SPLITS), default="train")
    parser.add_argument("--size", type=int, default=112, help="frame width and height in px (even)")
    parser.add_argument("--frames", type=int, default=32, help="frames per clip")
    parser.add_argument("--fps", type=float, default=8.0)
    parser.add_argument(
        "--backgrounds",
        nargs="+",
        choices=BACKGROUNDS,
        default=list(BACKGROUNDS),
        help="background kinds to draw from (plain only = easy world)",
    )
    parser.add_argument("--actions", nargs="+", choices=ACTIONS, default=list(ACTIONS))
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--check-disjoint",
        nargs="+",
        metavar="DIR",
        help="instead of generating, check that these world folders share no video",
    )


def run_cli(args: argparse.Namespace) -> int:
    if args.check_disjoint:
        try:
            counts = check_disjoint(*args.check_disjoint)
        except OverlapError as exc:
            print(f"sf2t synth: {exc}", file=sys.stderr)
            return 1
        print(f"disjoint: {', '.join(f'{d} ({n} videos)' for d, n in counts.items())}")
        return 0
    if not args.out:
        raise SystemExit("sf2t synth: --out is required (or use --check-disjoint)")
    cfg = WorldConfig(
        width=args.size,
        height=args.size,
        num_frames=args.frames,
        fps=args.fps,
        backgrounds=tuple(args.backgrounds),
        actions=tuple(args.actions),
    )
    truths = generate(
        args.out, args.n, args.split, seed=args.seed, config=cfg, workers=args.workers, progress=not args.no_progress
    )
    print(f"wrote {len(truths)} {args.split} videos to {args.out}")
    return 0


__all__ = [
    "ACTIONS",
    "ACTION_TEXT",
    "BACKGROUNDS",
    "COLORS",
    "MOVING_ACTIONS",
    "ROTATION_DEGREES",
    "SEED_BLOCK",
    "SHAPES",
    "SPEEDS",
    "SPEED_ACTIONS",
    "SPLITS",
    "TRUTH_FIELDS",
    "OverlapError",
    "WorldConfig",
    "check_disjoint",
    "generate",
    "load_truth",
    "make_video",
    "region_of",
    "render_video",
    "shape_mask",
    "split_of",
    "video_id",
    "video_seed",
    "write_mp4",
]
