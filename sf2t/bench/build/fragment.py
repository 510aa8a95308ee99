"""Fragment-level question makers (Frame Count, Meaning of Order, Frame Comparison, Adjust or
Not, Rearrangement): questions about the frames shown, their number, order and differences."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from sf2t.bench.build.texts import (
    ACTION_TEXT,
    CHANGE_OPPOSITE,
    CHANGE_TEXT,
    ORDER_NO,
    ORDER_YES,
    REVERSED_ACTION,
    ROTATION_PERIOD,
    MiniConfig,
    _pick,
)
from sf2t.bench.build.video import _box_change, _Draft, _Video
from sf2t.tasks.disorder import DISORDER_OPTIONS, DISORDER_QUESTION
from sf2t.tasks.rearrangement import REARRANGEMENT_QUESTION
from sf2t.video import sample_indices

DISTINCT_QUESTION = "How many different frames are shown?"
ADJUST_QUESTION = "Are these frames shown in the correct temporal order?"


def _frame_count(v: _Video, cfg: MiniConfig, rng) -> list[_Draft]:
    """How many frames are shown (``variant`` "count"), and, as its control, how many *different*
    frames are shown when each of k visibly different frames is shown twice in a row (``variant``
    "distinct"). Every family turns a frame count into an input length, so the first is answerable
    from the input's length alone (blind included); the second is not: its answer is k while the
    input holds 2k frames, and 2k is always among the options."""
    lo, hi = cfg.count_range
    counts = [n for n in range(lo, hi + 1, 2) if n <= v.total]
    out = []
    for n in counts:
        near = sorted((c for c in range(lo, hi + 1, 2) if c != n), key=lambda c: (abs(c - n), c))
        wrong = [str(c) for c in near[: cfg.n_options - 1]]
        idx = sample_indices(v.total, n, "centers").tolist()
        out.append(
            _Draft(
                "Frame Count", "How many frames are shown?", str(n), wrong, idx, meta={"frames": n, "variant": "count"}
            )
        )
    rng.shuffle(out)
    control = _distinct_frames(v, cfg)
    rng.shuffle(control)
    mixed = [d for pair in itertools.zip_longest(out, control) for d in pair if d is not None]
    return mixed  # count and control alternate, so a video's first Frame Count questions include both


def _distinct_frames(v: _Video, cfg: MiniConfig) -> list[_Draft]:
    """The control of Frame Count: k frames whose actor box changes visibly from each to the next
    (`_ordered_frames`, at least ``cfg.distinct_min_px`` apart), each shown twice in a row."""
    out = []
    for k in (2, 3, 4):
        idx = _ordered_frames(v, k)
        if idx is None or 2 * k > cfg.count_range[1]:
            continue
        boxes = [v.boxes[i] for i in idx]
        if any(_box_change(a, b, cfg.distinct_min_px) is None for a, b in zip(boxes, boxes[1:], strict=False)):
            continue  # not one clear change between neighbours: "different" would be arguable
        shown = [i for i in idx for _ in range(2)]
        others = [c for c in range(1, 2 * k + 3) if c not in (k, 2 * k)]
        wrong = [str(2 * k)] + [str(c) for c in sorted(others, key=lambda c: (abs(c - k), c))[: cfg.n_options - 2]]
        out.append(
            _Draft(
                "Frame Count",
                DISTINCT_QUESTION,
                str(k),
                wrong,
                shown,
                meta={"frames": 2 * k, "distinct": k, "variant": "distinct"},
            )
        )
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
        yes, no = DISORDER_OPTIONS if cfg.fragment_wording == "tasks" else (ORDER_YES, ORDER_NO)
        answer, wrong = (yes, [no]) if correct else (no, [yes])
        out.append(
            _Draft(
                "Adjust or Not",
                DISORDER_QUESTION if cfg.fragment_wording == "tasks" else ADJUST_QUESTION,
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
                REARRANGEMENT_QUESTION
                if cfg.fragment_wording == "tasks"
                else f"These {n} frames are shuffled. In which order of frame numbers do they restore the video?",
                _perm_text(restore),
                wrong,
                [idx[p] for p in perm],
                order="shuffled",
                numbered=True,
                meta={"frames": n, "perm": perm},
            )
        )
    return out
