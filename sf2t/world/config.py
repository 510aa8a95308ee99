"""What a world can hold and how it is set: the vocabularies (actions, shapes, colours,
backgrounds), the speeds, and `WorldConfig`, validated on construction.

**Speed** is the pace of the actor's change: ``WorldConfig.speed_share(name)`` (default
``SPEEDS[name]``) is the share of the frame's shorter side that a translation covers over the
whole clip (so by default "fast" is twice "slow" at any frame size or clip length); grow/shrink
change the size by half that share, rotate turns by `ROTATION_DEGREES`. ``speed_px_per_frame`` in
the truth is the realised pace: centre speed for the translations (move_*, fall_off, collide), size
change per frame for grow/shrink, the arc travelled by the outermost vertex for rotate. change_color, appear and
disappear are instantaneous events: their speed name is still drawn (balanced) but does nothing,
and ``speed_px_per_frame`` is 0.0; use `SPEED_ACTIONS` to ask speed questions only where speed is
visible. (Design choices of ours, not the paper's.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

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

#: Share of the frame's shorter side a translation covers over the clip (see module doc): the
#: default of `WorldConfig.speeds`, in this order of names.
SPEEDS: dict[str, float] = {"slow": 0.3, "fast": 0.6}

#: Total rotation over the clip. Not a multiple of any shape's symmetry (90, 120 degrees), so the end
#: state differs from the start; small enough that 8 sampled frames turn by at most ~20 degrees
#: per step, well below the 45 degrees at which a square's turning direction becomes ambiguous.
ROTATION_DEGREES: dict[str, int] = {"slow": 70, "fast": 140}

DIRECTIONS: dict[str, tuple[int, int]] = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
EDGE_OF_DIRECTION = {"left": "left", "right": "right", "up": "top", "down": "bottom"}


@dataclass(frozen=True)
class WorldConfig:
    """Everything about the world except the seed; validated on construction.

    ``backgrounds`` is the main difficulty knob: ``("plain",)`` is an easy world, the
    textured kinds (per-pixel ``"noise"`` most of all) make every temporal question harder.
    ``size_range`` is the object size as a share of the frame's shorter side. ``speeds`` is the
    share of that side a "slow" and a "fast" translation cover over the clip: larger moves make
    frame order visible to models that read position only coarsely (research/frame_order).
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
    speeds: tuple[float, float] = tuple(SPEEDS.values())

    def __post_init__(self):
        for name in ("backgrounds", "actions", "shapes", "colors", "size_range", "speeds"):
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
        sp = self.speeds
        if len(sp) != 2 or not all(isinstance(v, int | float) for v in sp) or not 0 < sp[0] < sp[1] <= 0.8:
            problems.append(f"speeds must be (slow, fast) shares with 0 < slow < fast <= 0.8, got {sp!r}")
        if problems:
            raise ValueError("invalid WorldConfig:\n  " + "\n  ".join(problems))

    def speed_share(self, name: str) -> float:
        """The share of the shorter side a translation at speed ``name`` covers over the clip."""
        return dict(zip(SPEEDS, self.speeds, strict=True))[name]

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON values. Fields added after worlds were first written (``speeds``) are
        left out at their default, so an existing world keeps its files' bytes and cache keys."""
        d = asdict(self)
        if tuple(d["speeds"]) == tuple(SPEEDS.values()):
            del d["speeds"]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorldConfig:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown WorldConfig field(s) {unknown}")
        return cls(**d)
