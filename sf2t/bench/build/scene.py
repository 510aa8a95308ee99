"""Scene-level question makers (Action, Effect, Speed): what happens in a video, its end
state, and its pace or playback speed, each answered from ground truth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sf2t.bench.build.texts import (
    ACTION_TEXT,
    CONFUSABLE,
    GONE_TEXT,
    REGION_TEXT,
    SIZE_TEXT,
    SPEED_TEXT,
    SPEED_VERB,
    MiniConfig,
    _pick,
    speed_label,
)
from sf2t.bench.build.video import _Draft, _Video
from sf2t.video import sample_indices, speed_indices


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
