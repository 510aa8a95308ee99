"""A base with position captions interleaved from the start (the 30-minute-base question).

The mini profile's base recipe (coarse captions of the mini world, two curriculum stages, batch 16)
trained through the library (`sf2t.experiment.bases.caption_stages`, `sf2t.train.stages.pretrain_base`),
with the library's ``position`` caption kind of the *fragment world* (translations, speeds 0.5 / 0.65,
sizes 0.18-0.25; videos generated here) mixed into every stage at ``share`` of the samples. Then the
base's competence on the mini world (the experiment's gate, `sf2t.experiment.competence`) and its
position-bin accuracy on held-out fragment-world videos (as `poscap_eval.py`).

Run: cd research/frame_order && PYTHONPATH=../..:. python base_run.py NAME '{"family": "llava_onevision",
     "steps": [1500, 1500], "share": 0.5}' (add "frame_repeat": 2 for a Qwen family)
Writes results/NAME.json and the model to models/NAME (not committed).
"""

import json
import sys
import time
from pathlib import Path

import common
from poscap_bases import heldout_bins
from sf2t.common.records import write_jsonl
from sf2t.experiment.bases import CAPTION_KEYS, caption_stages
from sf2t.experiment.competence import competence
from sf2t.experiment.profiles import load_profile
from sf2t.models import load
from sf2t.train.stages import pretrain_base
from sf2t.world import generate, load_truth
from sf2t.world.captions import caption_records

HERE = Path(common.HERE)
REPO = Path(common.REPO)
WORLDS = REPO / "results" / "cache" / "experiment" / "mini" / "worlds"  # the mini profile's worlds (nox -s reproduce)
DEFAULTS = dict(family="llava_onevision", steps=[1500, 1500], share=0.5, fragment_videos=1500, captions_per_video=8,
                world_seed=31, frame_repeat=1)


def position_source(c, out: Path) -> dict:
    """Position captions of fragment-world train-split videos (world seed 31: not the SF²T runs' 21-23)."""
    cfg = common.world("moves", speeds=(0.5, 0.65), size_range=(0.18, 0.25))
    folder = HERE / "worlds" / f"fragment-train-{c['world_seed']}-{c['fragment_videos']}"
    if not (folder / "index.jsonl").exists():
        generate(folder, c["fragment_videos"], "train", seed=c["world_seed"], config=cfg, progress=False)
    truths = load_truth(folder)
    records = []
    for k in range(c["captions_per_video"]):
        for r in caption_records(truths, kinds=["position"], seed=100 + k, answer_form="text"):
            records.append({**r, "id": f"{r['id']}-s{k}"})
    path = out / "captions" / "position.jsonl"
    write_jsonl(path, records)
    return {"path": str(path), "root": str(folder), "name": "position"}


def main(name, c):
    c = {**DEFAULTS, **c}
    t0 = time.time()
    profile = load_profile("mini")
    recipe = profile.base_recipe(c["family"])
    if c["frame_repeat"] != 1:  # Qwen: each video frame shown twice (TinySize.frame_repeat)
        recipe["model_size"] = {**recipe["model_size"], "frame_repeat": c["frame_repeat"]}
    out = HERE / "models" / name
    r = {k: val for k, val in recipe.items() if k != "competence_kinds"}
    captions = {k: r.pop(k) for k in CAPTION_KEYS if k in r}
    captions["curriculum"] = [{**st, "steps": n} for st, n in zip(captions["curriculum"], c["steps"], strict=True)]
    stages = caption_stages(WORLDS / "base", out, seed=r.get("seed", 0), **captions)
    pos = position_source(c, out)
    share = c["share"]
    for st in stages:
        st["data"][0]["ratio"] = 1.0 - share
        st["data"].append({**pos, "ratio": share})
    print(name, json.dumps(c), json.dumps(stages)[:600], flush=True)
    t1 = time.time()
    result = pretrain_base(c["family"], stages, out, progress=False, **r)
    train_sec = time.time() - t1
    model_dir = result.model_dir
    comp = competence(model_dir, WORLDS / "heldout", kinds=recipe["competence_kinds"], num_frames=recipe["num_frames"],
                      batch_size=recipe["batch_size"], seed=recipe.get("seed", 0), scoring=profile.scoring)
    print("competence", json.dumps(comp), flush=True)
    pos_acc = heldout_bins(load(model_dir))
    print("poscap", json.dumps(pos_acc), flush=True)
    res = {"name": name, "config": c, "recipe": recipe, "model_dir": str(Path(model_dir).relative_to(HERE)),
           "runs": [{"steps": x.steps, "final_loss": x.final_loss, "elapsed_s": round(x.elapsed_s, 1)}
                    for x in result.runs],
           "train_seconds": round(train_sec, 1), "total_seconds": round(time.time() - t0, 1),
           "competence": comp, "poscap_heldout": pos_acc}
    common.save_json(f"{HERE}/results/{name}.json", res)


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
