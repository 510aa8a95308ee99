"""Scene planning: from a seed, where every object is in every frame and what the actor does.

**Balance**: consecutive seeds cycle through the configured actions, and every block of
``len(actions)`` seeds alternates the speed, so any ``2 * len(actions)`` consecutive videos
cover every (action, speed) pair once. A random layout that does not fit is drawn again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sf2t.world.config import DIRECTIONS, EDGE_OF_DIRECTION, ROTATION_DEGREES, SPEEDS, WorldConfig
from sf2t.world.geometry import box_of, full_mask, shape_mask, touching

_MARGIN = 1  # pixels kept free between a fully visible object and the frame edge
_GAP = 2  # pixels kept free between objects that must not touch


class _Retry(Exception):
    """A random layout that does not fit; the planner draws again."""


@dataclass
class Track:
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
class Plan:
    tracks: list[Track]
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
    share = cfg.speed_share(speed)
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
        track = Track.static(shape, color, 0, 0, size, T)
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
        track = Track.static(shape, color, 0, 0, size, T)
        track.cx, track.cy = (along, np.full(T, q)) if axis == 0 else (np.full(T, q), along)
        return track, other, v, {"direction": direction, "edge": EDGE_OF_DIRECTION[direction]}

    if action == "rotate":
        degrees = ROTATION_DEGREES[speed]
        sign = int(rng.choice([1, -1]))
        cx, cy = place(size / math.sqrt(2) + 0.5)
        track = Track.static(shape, color, cx, cy, size, T)
        track.angle = sign * degrees * t / (T - 1)
        radius = h * math.sqrt(2) if shape in ("square", "triangle") else h
        pace = math.radians(degrees / (T - 1)) * radius
        return track, other, pace, {"direction": "clockwise" if sign > 0 else "counterclockwise", "degrees": degrees}

    if action in ("grow", "shrink"):
        delta = 0.5 * share * side  # size change over the clip
        small, big = size, size + delta
        cx, cy = place(big / 2)
        track = Track.static(shape, color, cx, cy, size, T)
        frac = t / (T - 1)
        track.size = small + delta * frac if action == "grow" else big - delta * frac
        return track, other, delta / (T - 1), {}

    if action in ("change_color", "appear", "disappear"):
        lo, hi = max(1, round(0.25 * (T - 1))), min(T - 1, round(0.75 * (T - 1)))
        te = int(rng.integers(lo, hi + 1))
        cx, cy = place(h)
        track = Track.static(shape, color, cx, cy, size, T)
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
    gap = _gap_along(full_mask(a_local, W, H), full_mask(o_local, W, H), direction)
    if gap < 0:
        raise _Retry("provisional collide layout overlaps")
    final = provisional + sign * gap  # whole-pixel shift: the mask moves exactly
    a_final = full_mask(shape_mask(shape, *point(final, actor_cross), size, 0.0, W, H), W, H)
    o_full = full_mask(o_local, W, H)
    if (a_final & o_full).any() or not touching(a_final, o_full):
        raise _Retry("rasterisation at the contact position does not touch cleanly")
    start = final - sign * travel
    if not (ha + m <= start <= length - ha - m):
        raise _Retry("collide start leaves the frame")
    t = np.arange(T, dtype=float)
    along = np.where(t >= tc, final, final - sign * v * (tc - t))
    track = Track.static(shape, color, 0, 0, size, T)
    track.cx, track.cy = (along, np.full(T, actor_cross)) if axis == 0 else (np.full(T, actor_cross), along)
    ocx, ocy = point(other_p, cross)
    return track, (other_shape, other_size, ocx, ocy), v, {"direction": direction}


def _boxes_overlap(a, b, gap):
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1])


def _swept_box(track: Track, cfg: WorldConfig) -> list[int] | None:
    boxes = [b for b in (box_of(track.local(i, cfg.width, cfg.height)) for i in range(cfg.num_frames)) if b]
    if not boxes:
        return None
    a = np.array(boxes)
    return [int(a[:, 0].min()), int(a[:, 1].min()), int(a[:, 2].max()), int(a[:, 3].max())]


def _try_plan(rng, action: str, speed: str, cfg: WorldConfig) -> Plan:
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
        tracks.append(Track.static(o_shape, colors[1], ocx, ocy, o_size, T))
        reserved.append(_swept_box(tracks[1], cfg))
        first_distractor = 2
    reserved = [b for b in reserved if b]
    for k in range(first_distractor, n):
        h = sizes[k] / 2.0
        for _ in range(50):
            cx = _uniform(rng, h + _MARGIN, cfg.width - h - _MARGIN)
            cy = _uniform(rng, h + _MARGIN, cfg.height - h - _MARGIN)
            candidate = Track.static(shapes[k], colors[k], cx, cy, sizes[k], T)
            box = box_of(candidate.local(0, cfg.width, cfg.height))
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
    return Plan(tracks, actor_index, action, speed, pace, effect)


def plan_scene(seed: int, cfg: WorldConfig) -> tuple[Plan, np.random.Generator]:
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
