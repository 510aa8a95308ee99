"""A longer base: one more interleaved stage on top of a base of the mini profile (the question after
the adoption's first bases read position bins only 0.51-0.59 right at a 35% share of 3,000 steps).

The extra stage is what a third curriculum stage of the profile would train (its caption draws are the
third stage's, `sf2t.experiment.bases.caption_stages`): colour, object and coarse action captions of the
profile's base world with position captions of its fragment world at ``share`` of the samples, batch 16,
constant lr 3e-4 after 30 warm-up steps, beta2 0.98, full fine-tuning (vision included), through
`sf2t.train.stages.finetune`. Then the base's competence (the experiment's gate questions plus
positions) on the mini held-out videos and its position-bin reading on held-out fragment-world videos
(as base_run.py).

Run from this folder: PYTHONPATH=../..:. python base_extend.py NAME BASE_DIR WORLDS_DIR '{"steps": 1500, "share": 0.5}'
(WORLDS_DIR: the profile's world folders, results/cache/experiment/mini/worlds after a reproduce).
Writes results/NAME.json and the model to models/NAME (not committed).
"""

import json
import sys
import time
from pathlib import Path

import common
from poscap_bases import heldout_bins

from sf2t.experiment.bases import caption_stages
from sf2t.experiment.competence import competence
from sf2t.models import load
from sf2t.train.stages import finetune

HERE = Path(common.HERE)
REPO = Path(common.REPO)
DEFAULTS = dict(steps=1500, share=0.5, seed=0)
KINDS = ["colour_fixed", "object", "happening", "position"]


def repo_relative(path) -> str:
    """A path inside the repository as the repository names it (results name no folder of this machine)."""
    path = Path(path).resolve()
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name


def main(name, base_dir, worlds, c):
    c = {**DEFAULTS, **c}
    t0 = time.time()
    worlds, out = Path(worlds), HERE / "models" / name
    earlier = [{"kinds": ["happening"], "steps": 1}, {"kinds": KINDS[:3], "steps": 1}]  # only their draws' seeds
    stage = {"kinds": KINDS, "shares": {"position": c["share"]}, "steps": c["steps"]}
    stages = caption_stages(worlds / "base", out, curriculum=[*earlier, stage], num_frames=8, seed=c["seed"],
                            balance=True, answer_form="text", kind_worlds={"position": worlds / "fragment_base"})
    data = stages[-1]["data"]
    result = finetune(base_dir, data, out / "run", mode="full", train_vision=True, steps=c["steps"], batch_size=16,
                      lr=3e-4, warmup_steps=30, schedule="constant", adam_beta2=0.98, weight_decay=0.0,
                      seed=c["seed"], progress=False)
    train_sec = time.time() - t0
    comp = competence(result.model_dir, worlds / "heldout", kinds=KINDS, num_frames=8, batch_size=16, seed=c["seed"],
                      scoring="cloze")
    print("competence", json.dumps(comp), flush=True)
    pos = heldout_bins(load(result.model_dir))
    print("poscap", json.dumps(pos), flush=True)
    model_dir = str(Path(result.model_dir).relative_to(HERE))
    res = {"name": name, "config": c, "base": repo_relative(base_dir), "model_dir": model_dir,
           "final_loss": result.final_loss, "train_seconds": round(train_sec, 1),
           "total_seconds": round(time.time() - t0, 1), "competence": comp, "poscap_heldout": pos}
    common.save_json(f"{HERE}/results/{name}.json", res)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]) if len(sys.argv) > 4 else {})
