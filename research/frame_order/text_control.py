"""(b) Can the language model compare positions across frames when they are given as text?

The disorder question (sf2t.tasks.Disorder samples: swap / partial reversal / shuffle of 4-8
frames, classes balanced), with every frame replaced by its actor's truth box centre and size in
words, e.g. "Frame 1: x 3 6 y 2 2 size 1 0". Answer "yes"/"no", cloze scoring. Trained from the
committed mini qwen2_vl base, all parameters (the vision tower gets no input), AdamW lr 3e-4,
beta2 0.98, batch 8, 20 warm-up steps, 1,200 steps, 3,000 training samples (train split, 1,000
videos), evaluated on 400 samples of 400 labelled-split videos.

Formats (the fair-control question: what does the LM need to compare positions?):
  whole   - whole numbers, each one token ("x 36"): no innate number line, 65 unrelated tokens
  digits  - one token per digit ("x 3 6"): ten tokens whose order must be learnt
  coarse  - position in 8-px bins, one digit 0-7 ("x 4"): the precision the visual tokens carry
            (probe.py: ~8 px error)
Worlds: `moves` (translations only: position decides the order) and `mini` (all 11 actions;
rotation and colour changes are invisible in this text, so its ceiling is below 1).

Run: PYTHONPATH=. python research/frame_order/text_control.py [fmt world ...]
"""

import sys
import time

from common import HERE, REPO, cloze, make_items, save_json, train, videos, world
from sf2t.models import load


def describe(state, fmt):
    if state is None:
        return "none"
    x, y, s = (int(round(v)) for v in state)
    if fmt == "whole":
        return f"x {x} y {y} size {s}"
    if fmt == "digits":
        d = lambda v: " ".join(str(v))  # noqa: E731
        return f"x {d(x)} y {d(y)} size {d(s)}"
    if fmt == "coarse":
        return f"x {min(7, x // 8)} y {min(7, y // 8)} size {min(7, s // 4)}"
    raise ValueError(fmt)


def text_prompt(fmt):
    def f(it):
        lines = [f"Frame {k}: {describe(s, fmt)}" for k, s in enumerate(it.states, 1)]
        return "\n".join(lines) + "\n" + it.prompt
    return f


def run(fmt, wname, steps=1200, seed=0, easy=None):
    """`easy`: a vision_run.py config (world/task knobs) instead of the default mini disorder task."""
    if easy is None:
        cfg = world(wname)
        tr = make_items(videos(cfg, "train", 11, 1000), "disorder", 3, seed=1)
        te = make_items(videos(cfg, "labelled", 11, 400), "disorder", 1, seed=2)
    else:
        import vision_run
        c = {**vision_run.DEFAULTS, **easy}
        cfg = vision_run.setup_world(c)
        tr = vision_run.build_items(c, cfg, "train", 11, 1000, 3, seed=1)
        te = vision_run.build_items(c, cfg, "labelled", 11, 400, 1, seed=2)
        wname = easy.get("name", "easy")
    llm = load(f"{REPO}/results/bases/mini/qwen2_vl/stage-1/final")
    tf = text_prompt(fmt)
    print(fmt, wname, "example:", tf(tr[0]).replace("\n", " | "), "->", tr[0].answer_text, flush=True)
    t0 = time.time()
    before = cloze(llm, te, text_fn=tf)
    curve = train(llm, tr, steps, lr=3e-4, batch=8, seed=seed, text_fn=tf,
                  eval_fn=lambda: {"heldout": cloze(llm, te[:200], text_fn=tf)}, eval_every=200,
                  log=lambda s: print(s, flush=True))
    res = {"format": fmt, "world": wname, "steps": steps, "easy": easy, "n_train": len(tr), "before": before,
           "heldout": cloze(llm, te, text_fn=tf), "in_sample": cloze(llm, tr[:400], text_fn=tf),
           "curve": curve, "seconds": round(time.time() - t0, 1)}
    print(res["heldout"], res["in_sample"], flush=True)
    save_json(f"{HERE}/results/text_control_{wname}_{fmt}.json", res)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--easy":  # --easy FMT STEPS '{vision_run config with "name"}'
        import json
        run(sys.argv[2], None, steps=int(sys.argv[3]), easy=json.loads(sys.argv[4]))
        sys.exit()
    args = sys.argv[1:] or ["digits", "moves", "coarse", "moves", "whole", "moves", "digits", "mini"]
    for i in range(0, len(args), 2):
        run(args[i], args[i + 1])
