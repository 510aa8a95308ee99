"""Coarse questions from truth meta, round 2: round 1's qa.py plus a fixed-order shape question (shapeF).

'object' and 'happening' mirror sf2t/world/captions.py (same texts, groups). A module, not a script:
train_curriculum.py imports `question`, `GROUP` and `COARSE` from it. A kind ending in "F" (colorF,
shapeF, happeningF, directionF) lists every class as an option in one fixed order; the others (object,
happening, direction, color) shuffle four options. Made from round 1's qa.py and this study's
qa.py.patch (the patch, applied).
"""
import numpy as np
from sf2t.common.prompts import option_letters, render_question
from sf2t.world import COLORS, SHAPES

COARSE = {
    "something moves": ("move_left", "move_right", "move_up", "move_down", "fall_off", "collide"),
    "something turns": ("rotate",),
    "something changes size": ("grow", "shrink"),
    "something changes colour": ("change_color",),
    "something appears or disappears": ("appear", "disappear"),
}
GROUP = {a: g for g, acts in COARSE.items() for a in acts}
DIRS = {"move_left": "left", "move_right": "right", "move_up": "up", "move_down": "down"}
L4 = option_letters(4)

def noun(o):
    return f"{o['color']} {o['shape']}"

def question(meta, kind, rng):
    """-> (prompt, answer letter, answer text, letters) or None when the kind does not apply.
    A kind ending in 'F' lists every option in a fixed canonical order (letter = class)."""
    if kind.endswith("F"):
        return fixed_question(meta, kind[:-1])
    if kind == "object":
        present = [noun(o) for o in meta["objects"]]
        ans = present[int(rng.integers(len(present)))]
        absent = [f"{c} {s}" for c in COLORS for s in SHAPES if f"{c} {s}" not in present]
        opts = [ans] + [absent[i] for i in rng.choice(len(absent), 3, replace=False)]
        q = "What object is in the video?"
    elif kind == "happening":
        ans = GROUP[meta["action"]]
        others = [g for g in COARSE if g != ans]
        opts = [ans] + [others[i] for i in rng.choice(len(others), 3, replace=False)]
        q = "Roughly what happens in the video?"
    elif kind == "direction":
        if meta["action"] not in DIRS:
            return None
        ans = DIRS[meta["action"]]
        opts = ["left", "right", "up", "down"]
        q = f"Which way does the {noun(meta['objects'][meta['actor']])} move?"
    elif kind == "color":  # colour of the actor (the object the action happens to)
        ans = meta["objects"][meta["actor"]]["color"]
        others = [c for c in COLORS if c != ans]
        opts = [ans] + [others[i] for i in rng.choice(len(others), 3, replace=False)]
        q = f"What colour is the {meta['objects'][meta['actor']]['shape']}?" if len({o['shape'] for o in meta['objects']}) == len(meta['objects']) else None
        if q is None:
            return None
    else:
        raise ValueError(kind)
    opts = list(opts)
    rng.shuffle(opts)
    return render_question(q, opts), L4[opts.index(ans)], ans, L4

def fixed_question(meta, kind):
    if kind == "happening":
        ans, opts, q = GROUP[meta["action"]], list(COARSE), "Roughly what happens in the video?"
    elif kind == "direction":
        if meta["action"] not in DIRS:
            return None
        ans, opts = DIRS[meta["action"]], ["left", "right", "up", "down"]
        q = f"Which way does the {noun(meta['objects'][meta['actor']])} move?"
    elif kind == "shape":  # shape of the actor, all shapes in canonical order (added for the curriculum)
        if len({o["color"] for o in meta["objects"]}) != len(meta["objects"]):
            return None
        ans, opts = meta["objects"][meta["actor"]]["shape"], list(SHAPES)
        q = f"What shape is the {meta['objects'][meta['actor']]['color']} object?"
    elif kind == "color":
        if len({o["shape"] for o in meta["objects"]}) != len(meta["objects"]):
            return None
        ans, opts = meta["objects"][meta["actor"]]["color"], list(COLORS)
        q = f"What colour is the {meta['objects'][meta['actor']]['shape']}?"
    else:
        raise ValueError(kind)
    letters = option_letters(len(opts))
    return render_question(q, opts), letters[opts.index(ans)], ans, letters


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Print one question of every kind about one synthetic train-split video "
                                 "(a look at what the training script asks; seconds).")
    ap.add_argument("--index", type=int, default=0, help="video index in the train split (run seed 0)")
    ap.add_argument("--objects", type=int, default=1, help="objects in the scene (1 = the 'one' world)")
    args = ap.parse_args()
    from sf2t import world

    cfg = world.WorldConfig(backgrounds=("plain",), min_objects=args.objects, max_objects=args.objects,
                            actions=tuple(x for x in world.ACTIONS if x != "collide"))
    _, truth = world.render_video(world.video_seed("train", 0, args.index), cfg)
    rng = np.random.default_rng(0)
    for kind in ('object', 'happening', 'color', 'colorF', 'shapeF', 'happeningF'):
        q = question(truth, kind, rng)
        print(f"--- {kind}: " + ("(does not apply)" if q is None else f"answer {q[1]} ({q[2]})\n{q[0]}"))
