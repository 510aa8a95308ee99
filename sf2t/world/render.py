"""Rendering: the frames of one video and its truth record (boxes, effect, caption), in memory."""

from __future__ import annotations

from typing import Any

import numpy as np

from sf2t.world.config import ACTION_TEXT, BACKGROUNDS, COLORS, SPEED_ACTIONS, WorldConfig
from sf2t.world.geometry import box_of, full_mask, region_of, touching
from sf2t.world.scenes import Plan, Track, plan_scene
from sf2t.world.seeds import split_of, video_id


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


def _noun(track: Track, color: str | None = None) -> str:
    return f"{color or track.color[0]} {track.shape}"


def _effect(plan: Plan, boxes, masks_at, cfg: WorldConfig) -> dict[str, Any]:
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
        touch = next(i for i in range(T) if touching(masks_at(i, plan.actor), masks_at(i, other)))
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
    plan, bg_rng = plan_scene(seed, cfg)
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
            row.append(box_of(local))
            if local is not None:
                x0, y0, mask = local
                window = frames[t, y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
                window[mask] = COLORS[track.color[t]]
        boxes.append(row)
        locals_.append(loc_row)

    def masks_at(t, k):
        return full_mask(locals_[t][k], W, H)

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


def _caption(plan: Plan, actor: Track, background: str) -> str:
    pace = {"slow": "slowly ", "fast": "quickly "}[plan.speed] if plan.action in SPEED_ACTIONS else ""
    bg = {"plain": "a plain", "stripes": "a striped", "checker": "a checkered", "noise": "a noisy"}[background]
    noun = _noun(actor)
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{article} {noun} {pace}{ACTION_TEXT[plan.action]} on {bg} background"
