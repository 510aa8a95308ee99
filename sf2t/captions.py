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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sf2t.prompts import option_letters
from sf2t.video import sample_indices

#: Coarse action groups: what "roughly what happens" can tell apart (fine actions map many-to-one).
COARSE_ACTIONS: dict[str, tuple[str, ...]] = {
    "something moves": ("move_left", "move_right", "move_up", "move_down", "fall_off", "collide"),
    "something turns": ("rotate",),
    "something changes size": ("grow", "shrink"),
    "something changes colour": ("change_color",),
    "something appears or disappears": ("appear", "disappear"),
}
QUESTION_KINDS: tuple[str, ...] = ("object", "happening")
OBJECT_QUESTION = "What object is in the video?"
HAPPENING_QUESTION = "Roughly what happens in the video?"


def coarse_action(action: str) -> str:
    for group, actions in COARSE_ACTIONS.items():
        if action in actions:
            return group
    raise ValueError(f"action {action!r} belongs to no coarse group")


def caption_records(
    truths: Iterable[dict[str, Any]],
    kinds: Sequence[str] = QUESTION_KINDS,
    num_frames: int = 8,
    num_options: int = 4,
    sampling: str = "centers",
    seed: int = 0,
    shapes: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One record per (video, question kind), in the shared record shape, deterministic given ``seed``.

    ``shapes``/``colors`` are the vocabularies distractor objects are drawn from (default: the
    synthetic world's). Options are shuffled per record, so no letter is favoured.
    """
    from sf2t.synth import COLORS, SHAPES

    unknown = [k for k in kinds if k not in QUESTION_KINDS]
    if unknown or not kinds:
        raise ValueError(f"question kinds must be a non-empty subset of {QUESTION_KINDS}, got {list(kinds)}")
    shapes = list(shapes or SHAPES)
    colors = list(colors or COLORS)
    letters = option_letters(num_options)
    records = []
    for truth in truths:
        rng = np.random.default_rng([seed, int(truth["seed"]) % 2**63])
        indices = sample_indices(int(truth["num_frames"]), num_frames, sampling).tolist()
        for kind in kinds:
            if kind == "object":
                question, options, answer = _object_question(truth, rng, shapes, colors, num_options)
            else:
                question, options, answer = _happening_question(truth, rng, num_options)
            records.append(
                {
                    "id": f"{truth['id']}-{kind}",
                    "video": truth["video"],
                    "frames": {"indices": indices, "transform": None},
                    "question": question,
                    "options": options,
                    "answer": letters[options.index(answer)],
                    "numbered": False,
                    "task": f"caption_{kind}",
                    "meta": {"kind": kind, "truth_action": truth["action"], "answer_text": answer},
                }
            )
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


def _happening_question(truth, rng, num_options):
    answer = coarse_action(truth["action"])
    others = [g for g in COARSE_ACTIONS if g != answer]
    if len(others) < num_options - 1:
        raise ValueError(f"only {len(COARSE_ACTIONS)} coarse actions for {num_options} options")
    distractors = [others[i] for i in rng.choice(len(others), size=num_options - 1, replace=False)]
    options = [answer, *distractors]
    rng.shuffle(options)
    return HAPPENING_QUESTION, options, answer
