"""The answer vocabularies of FineVidBench-mini's questions, how distractors are drawn from
them (`_pick`), and the builder's knobs (`MiniConfig`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sf2t.video import PLAYBACK_SPEEDS

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
#: How the order categories (Adjust or Not, Rearrangement) are worded: the benchmark's own words, or
#: those of SF²T's disorder and rearrangement tasks. A model of a few million parameters does not carry
#: a skill to a paraphrase (research/frame_order: 0.80-0.90 in the tasks' words, 0.53-0.67 in these).
FRAGMENT_WORDINGS = ("bench", "tasks")
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
    distinct_min_px: float = 4.0  # frames count as different for the Frame Count control: the actor moved this far
    region_margin: float = 0.04
    fragment_wording: str = "bench"  # `FRAGMENT_WORDINGS`

    def validate(self) -> None:
        if self.n_videos < 1 or self.questions_per_video < 1:
            raise ValueError("n_videos and questions_per_video must be positive")
        if not 3 <= self.n_options <= 6:
            raise ValueError(f"n_options must be between 3 and 6, got {self.n_options}")
        if self.fragment_wording not in FRAGMENT_WORDINGS:
            raise ValueError(f"fragment_wording must be one of {FRAGMENT_WORDINGS}, got {self.fragment_wording!r}")
        lo, hi = self.count_range
        if lo < 2 or hi < lo or lo % 2 or hi % 2:
            raise ValueError(f"count_range must be two even numbers 2 <= lo <= hi, got {self.count_range}")


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
