"""Coarse caption questions about the synthetic world: the base stage's training data.

A tiny random model stands in for a pretrained Video-LLM only once it "knows the world": which
objects it holds and roughly what happens, but not the fine detail FineVidBench asks about (the
exact direction, grow versus shrink, how fast, in which frame). These records teach exactly that
coarse knowledge, from the synthetic ground truth, in the shared record shape.

Question kinds (ours; every knob is a parameter):

- ``"object"``: "What object is in the video?" One option is an object of the scene (colour and
  shape), the others are colour/shape pairs absent from it.
- ``"happening"``: "Roughly what happens in the video?" Options are coarse action groups
  (`COARSE_ACTIONS`): something moves, turns, changes size, changes colour, appears or disappears.
- ``"colour_fixed"`` and ``"happening_fixed"``: the same knowledge as a classifier's format, every
  class an option in one fixed order (so a letter always means the same answer). A tiny random
  model learns these long before it can read shuffled options (measured:
  research/base_recipe/research-2026-11-25c), so a base curriculum starts with them.
- ``"position"``: "Where is the object in each frame?" A few frames of the video, in temporal order
  or shuffled, as a video or as numbered frames; the answer names the actor's coarse position in
  each shown frame, in the order shown ("x 6 y 2, x 4 y 2, ..."; `POSITION_BINS` bins per axis,
  "none" where it is not visible). Distractor options move one frame's bin. Tiny bases carry
  position only to an LM token cell and so cannot see frame order; this kind teaches them to read it
  (research/frame_order: after a long stage of it SF²T's disorder and rearrangement left chance).

`balance_coarse` repeats videos so every coarse action group is equally frequent: with the
world's natural mix ("something moves" is 5 of 11 actions) a tiny model sits on the majority
answer; balanced, it left that plateau (same research folder).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sf2t.common.prompts import in_answer_form, option_letters
from sf2t.video import sample_indices

#: Coarse action groups: what "roughly what happens" can tell apart (fine actions map many-to-one).
COARSE_ACTIONS: dict[str, tuple[str, ...]] = {
    "something moves": ("move_left", "move_right", "move_up", "move_down", "fall_off", "collide"),
    "something turns": ("rotate",),
    "something changes size": ("grow", "shrink"),
    "something changes colour": ("change_color",),
    "something appears or disappears": ("appear", "disappear"),
}
#: The coarse kinds (what `caption_records` asks by default) and every kind it knows.
COARSE_KINDS: tuple[str, ...] = ("object", "happening", "colour_fixed", "happening_fixed")
QUESTION_KINDS: tuple[str, ...] = (*COARSE_KINDS, "position")
OBJECT_QUESTION = "What object is in the video?"
HAPPENING_QUESTION = "Roughly what happens in the video?"
POSITION_QUESTION = "Where is the object in each frame?"
#: Bins per axis of a position caption: one token per coordinate, coarse enough to read.
POSITION_BINS = 8
#: Frames shown per position caption, and the share shown shuffled and as numbered frames.
POSITION_FRAMES, POSITION_SHUFFLED, POSITION_NUMBERED = 4, 0.5, 0.5


def coarse_action(action: str) -> str:
    for group, actions in COARSE_ACTIONS.items():
        if action in actions:
            return group
    raise ValueError(f"action {action!r} belongs to no coarse group")


def balance_coarse(truths: Sequence[dict[str, Any]], seed: int = 0) -> list[tuple[dict[str, Any], int]]:
    """``(truth, repeat)`` pairs in which every coarse action group present has as many entries as
    the largest: each group's videos in order, then drawn again (deterministically) to fill up."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for truth in truths:
        groups.setdefault(coarse_action(truth["action"]), []).append(truth)
    if not groups:
        return []
    target = max(len(g) for g in groups.values())
    rng = np.random.default_rng([seed, 7919])
    out: list[tuple[dict[str, Any], int]] = []
    for name in (g for g in COARSE_ACTIONS if g in groups):
        members = groups[name]
        seen: dict[str, int] = {}
        order = list(members) + [members[int(i)] for i in rng.integers(len(members), size=target - len(members))]
        for truth in order:
            seen[truth["id"]] = seen.get(truth["id"], -1) + 1
            out.append((truth, seen[truth["id"]]))
    return out


def caption_records(
    truths: Iterable[dict[str, Any]],
    kinds: Sequence[str] = COARSE_KINDS,
    num_frames: int = 8,
    num_options: int = 4,
    sampling: str = "centers",
    seed: int = 0,
    shapes: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    balance: bool = False,
    answer_form: str = "letter",
) -> list[dict[str, Any]]:
    """One record per (video, question kind), in the shared record shape, deterministic given ``seed``.

    ``shapes``/``colors`` are the vocabularies distractor objects are drawn from (default: the
    synthetic world's). Options of "object" and "happening" are shuffled per record, so no letter
    is favoured. ``balance`` draws the videos through `balance_coarse` (repeats get their own ids
    and their own option order). ``answer_form`` "text" answers with the option's words
    (`sf2t.common.prompts.in_answer_form`).
    """
    from sf2t.world import COLORS, SHAPES

    unknown = [k for k in kinds if k not in QUESTION_KINDS]
    if unknown or not kinds:
        raise ValueError(f"question kinds must be a non-empty subset of {QUESTION_KINDS}, got {list(kinds)}")
    shapes = list(shapes or SHAPES)
    colors = list(colors or COLORS)
    records = []
    drawn = balance_coarse(truths, seed) if balance else [(t, 0) for t in truths]
    for truth, repeat in drawn:
        rng = np.random.default_rng([seed, int(truth["seed"]) % 2**63, repeat])
        indices = sample_indices(int(truth["num_frames"]), num_frames, sampling).tolist()
        for kind in kinds:
            if kind == "object":
                question, options, answer = _object_question(truth, rng, shapes, colors, num_options)
            elif kind == "happening":
                question, options, answer = _happening_question(truth, rng, num_options)
            elif kind == "colour_fixed":
                question, options, answer = _colour_fixed_question(truth, colors)
            elif kind == "position":
                # its own generator, so adding this kind changes no other kind's records
                prng = np.random.default_rng([seed, int(truth["seed"]) % 2**63, repeat, 1])
                shown, numbered, options, answer = _position_question(truth, prng, num_options)
            else:
                question, options, answer = HAPPENING_QUESTION, list(COARSE_ACTIONS), coarse_action(truth["action"])
            if kind == "position":
                question, frames = POSITION_QUESTION, shown
            else:
                numbered, frames = False, indices
            record = {
                "id": f"{truth['id']}-{kind}" + (f"-r{repeat}" if repeat else ""),
                "video": truth["video"],
                "frames": {"indices": frames, "transform": None},
                "question": question,
                "options": options,
                "answer": option_letters(len(options))[options.index(answer)],
                "numbered": numbered,
                "task": f"caption_{kind}",
                "meta": {"kind": kind, "truth_action": truth["action"], "answer_text": answer},
            }
            records.append(in_answer_form(record, answer_form))
    return records


def _object_question(truth, rng, shapes, colors, num_options):
    present = [f"{o['color']} {o['shape']}" for o in truth["objects"]]
    answer = present[int(rng.integers(len(present)))]
    absent = [f"{c} {s}" for c in colors for s in shapes if f"{c} {s}" not in present]
    if len(absent) < num_options - 1:
        raise ValueError(f"{truth['id']}: only {len(absent)} distractor objects for {num_options} options")
    distractors = [absent[i] for i in rng.choice(len(absent), size=num_options - 1, replace=False)]
    options = [answer, *distractors]
    rng.shuffle(options)
    return OBJECT_QUESTION, options, answer


def _colour_fixed_question(truth, colors):
    """The actor's colour at the first frame, every colour an option in the world's order. The
    actor is named by its shape, or by what it does when another object has the same shape."""
    actor = truth["objects"][int(truth.get("actor", 0))]
    if sum(o["shape"] == actor["shape"] for o in truth["objects"]) == 1:
        who = f"the {actor['shape']}"
    else:
        who = "the object that " + coarse_action(truth["action"]).removeprefix("something ")
    return f"What colour is {who} at the start?", list(colors), actor["color"]


def _happening_question(truth, rng, num_options):
    answer = coarse_action(truth["action"])
    others = [g for g in COARSE_ACTIONS if g != answer]
    if len(others) < num_options - 1:
        raise ValueError(f"only {len(COARSE_ACTIONS)} coarse actions for {num_options} options")
    distractors = [others[i] for i in rng.choice(len(others), size=num_options - 1, replace=False)]
    options = [answer, *distractors]
    rng.shuffle(options)
    return HAPPENING_QUESTION, options, answer


def position_words(box, width: int, height: int, bins: int = POSITION_BINS) -> str:
    """A box's centre as coarse position words, "x a y b" (bins 0..bins-1), or "none" for no box."""
    if box is None:
        return "none"
    cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
    return f"x {min(bins - 1, int(bins * cx / width))} y {min(bins - 1, int(bins * cy / height))}"


def _position_question(truth, rng, num_options):
    """(shown frame indices, numbered, options, answer) of a position caption: `POSITION_FRAMES`
    frames at random, shuffled or numbered at the module's shares; each distractor moves one
    visible frame's x or y to another bin."""
    T, W, H, actor = int(truth["num_frames"]), int(truth["width"]), int(truth["height"]), int(truth["actor"])
    seen = [i for i in range(T) if truth["boxes"][i][actor] is not None]
    if not seen:
        raise ValueError(f"{truth['id']}: the actor is visible in no frame; no position caption can be made")
    n = min(POSITION_FRAMES, T)
    shown = sorted(int(i) for i in rng.choice(T, size=n, replace=False))
    if not any(truth["boxes"][i][actor] is not None for i in shown):  # one visible frame at least
        shown = sorted({*shown[1:], seen[int(rng.integers(len(seen)))]})
    if rng.random() < POSITION_SHUFFLED:
        shown = [shown[int(i)] for i in rng.permutation(len(shown))]
    numbered = bool(rng.random() < POSITION_NUMBERED)
    words = [position_words(truth["boxes"][i][actor], W, H) for i in shown]
    answer = ", ".join(words)
    visible = [k for k, w in enumerate(words) if w != "none"]
    options = [answer]
    for _ in range(100 * num_options):
        if len(options) == num_options:
            break
        k, axis = visible[int(rng.integers(len(visible)))], int(rng.integers(2))
        parts = words[k].split()
        bins = [b for b in range(POSITION_BINS) if b != int(parts[2 * axis + 1])]
        parts[2 * axis + 1] = str(bins[int(rng.integers(len(bins)))])
        candidate = ", ".join(words[:k] + [" ".join(parts)] + words[k + 1 :])
        if candidate not in options:
            options.append(candidate)
    order = rng.permutation(len(options))
    return shown, numbered, [options[int(i)] for i in order], answer
