"""Fix experiments: train a Video-LLM on fragment tasks (answer-text form, full fine-tuning) and
measure held-out cloze accuracy, with the world / task / presentation / model knobs the library
does not have yet (set here by monkeypatching; each is listed in README.md as a library change).

Usage: PYTHONPATH=. python research/frame_order/vision_run.py NAME '{json config}'
Writes results/NAME.json (config, before/after accuracies with Wilson 95% CIs, the curve).

Config keys (defaults in DEFAULTS):
  family, init            - init: "base" (committed mini base), "tiny" (fresh fan-in init) or a path
  model_size              - TinySize overrides for init "tiny" (e.g. image_size)
  world, speed_share, size_range, actions  - world knobs; speed_share sets WorldConfig.speeds
                            (share of the frame side a translation covers: {"slow": a, "fast": b})
  full_span               - frames of a fragment sample spread over the whole clip (the tasks'
                            spread "full": the largest stride) instead of a random stride
  double_frames           - temporal-merge families (Qwen): repeat each video frame twice, so every
                            LM token group holds one frame instead of a pair
  tasks                   - {"disorder": {"num_frames": [4, 4]}, "rearrangement": {...}}
  train_videos, per_video, test_videos, steps, lr, batch, eval_every, seed
"""

import json
import sys
import time

import numpy as np

import common
import sf2t.world.render as world_render
from common import HERE, REPO, cloze, make_items, save_json, train, videos, world
from sf2t.models import load, tiny

DEFAULTS = dict(family="qwen2_vl", init="base", model_size={}, world="moves", speed_share=None, size_range=None,
                actions=None, full_span=True, double_frames=True,
                tasks={"disorder": {"num_frames": [4, 4]}}, train_videos=1000, per_video=3, test_videos=300,
                steps=400, lr=3e-4, batch=8, eval_every=100, eval_n=150, seed=0, save_model=None, stages=None, side=None, background=None, numbered_tasks=None)

_orig_background = world_render._background


def _gradient_background(rng, kind, cfg):
    """`plain` replaced by a position-coding background: red rises left to right, green top to
    bottom (80..170), blue 125; so every patch's colour says where it is. Object colours stay
    saturated and distinct from it."""
    if kind != "plain":
        return _orig_background(rng, kind, cfg)
    H, W = cfg.height, cfg.width
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([80 + 90 * x / (W - 1), 80 + 90 * y / (H - 1), np.full((H, W), 125.0)], -1).round().astype(np.uint8)
    return img, {"kind": "plain", "color": "gradient"}


def setup_world(c):
    NUMBERED_TASKS.update(c.get("numbered_tasks") or [])
    if c.get("background") == "gradient":
        world_render._background = _gradient_background  # where render_video looks it up
    over = {}
    if c["speed_share"]:
        over["speeds"] = (c["speed_share"]["slow"], c["speed_share"]["fast"])
    if c["size_range"]:
        over["size_range"] = tuple(c["size_range"])
    if c["actions"]:
        over["actions"] = tuple(c["actions"])
    if c.get("side"):
        over["width"] = over["height"] = c["side"]
    return world(c["world"], **over)


def build_items(c, cfg, split, run_seed, n_videos, per_video, seed, task_spec=None, vids=None):
    vids = vids if vids is not None else videos(cfg, split, run_seed, n_videos)
    items = []
    for k, (name, kw) in enumerate((task_spec or c["tasks"]).items()):
        kw = {key: tuple(v) if isinstance(v, list) else v for key, v in kw.items()}
        if name == "poscap":
            items += common.make_poscap_items(vids, per_video, seed=seed * 100 + k, **kw)
        else:
            if c["full_span"]:
                kw.setdefault("spread", "full")
            items += make_items(vids, name, per_video, seed=seed * 100 + k, **kw)
    return items


NUMBERED_TASKS: set = set()


def double(items, on):
    for it in items:  # tasks shown as numbered frames ("Frame k: <image>") instead of a video
        if it.task in NUMBERED_TASKS and not it.numbered:
            it.numbered = True
    if not on:
        return items
    for it in items:
        if not it.numbered:
            it.frames = np.repeat(it.frames, 2, axis=0)
    return items


def model(c):
    if c["init"] == "base":
        llm = load(f"{REPO}/results/bases/mini/{c['family']}/stage-1/final")
    elif c["init"] == "tiny":
        llm = tiny(c["family"], seed=c["seed"], **{**common.MINI_SIZE, **c["model_size"]})
    else:
        llm = load(c["init"])
    if c.get("side") and llm.family.startswith("qwen"):
        # the Qwen processors' pixel budget (longest_edge = max pixels) of the mini base is 64²: raise it
        for p in (llm.processor.video_processor, llm.processor.image_processor):
            p.size = {"shortest_edge": p.size["shortest_edge"], "longest_edge": c["side"] ** 2}
    return llm


def evaluate(llm, by_task, n=None):
    return {t: cloze(llm, its[:n] if n else its) for t, its in by_task.items()}


def main(name, c):
    c = {**DEFAULTS, **c}
    t0 = time.time()
    cfg = setup_world(c)
    tr = build_items(c, cfg, "train", 21 + c["seed"], c["train_videos"], c["per_video"], seed=1)
    te = build_items(c, cfg, "labelled", 21, c["test_videos"], 1, seed=2)
    llm = model(c)
    dbl = c["double_frames"] and llm.temporal_merge > 1
    double(tr, dbl), double(te, dbl)
    by_task = {t: [it for it in te if it.task == t] for t in c["tasks"]}
    tr_by_task = {t: [it for it in tr if it.task == t][:200] for t in c["tasks"]}
    rng = np.random.default_rng(0)
    rng.shuffle(tr)
    print(name, json.dumps(c), f"train {len(tr)} test { {t: len(v) for t, v in by_task.items()} }", flush=True)
    before = evaluate(llm, by_task)
    print("before", json.dumps(before), flush=True)
    t1 = time.time()
    curve, stage_results = [], []
    train_vids = None
    for k, st in enumerate(c.get("stages") or [{"tasks": c["tasks"], "steps": c["steps"]}]):
        if st["tasks"] == c["tasks"] and k == 0 and not c.get("stages"):
            items = tr
        else:
            if train_vids is None:
                train_vids = videos(cfg, "train", 21 + c["seed"], c["train_videos"])
            items = double(build_items(c, cfg, None, None, None, st.get("per_video", c["per_video"]), seed=10 + k,
                                       task_spec=st["tasks"], vids=train_vids), dbl)
            np.random.default_rng(k).shuffle(items)
        print(f"stage {k}: {st} ({len(items)} items)", flush=True)
        ts = time.time()
        cur = train(llm, items, st["steps"], lr=st.get("lr", c["lr"]), batch=c["batch"], seed=c["seed"] + k,
                    schedule=st.get("schedule", "constant"),
                    eval_fn=lambda: {t: cloze(llm, v[: c["eval_n"]])["acc"] for t, v in by_task.items()},
                    eval_every=c["eval_every"], log=lambda s: print(s, flush=True))
        for r in cur:
            r["stage"] = k
        curve += cur
        stage_results.append({"stage": st, "seconds": round(time.time() - ts, 1), "heldout": evaluate(llm, by_task)})
        if "poscap" in st["tasks"]:
            pc = double(common.make_poscap_items(videos(cfg, "labelled", 21, 80), 1, seed=5), dbl)
            stage_results[-1]["poscap_heldout"] = {
                "video": common.poscap_accuracy(llm, [i for i in pc if not i.numbered]),
                "numbered": common.poscap_accuracy(llm, [i for i in pc if i.numbered])}
            print("poscap", json.dumps(stage_results[-1]["poscap_heldout"]), flush=True)
        print("stage", k, "done", json.dumps(stage_results[-1]["heldout"]), flush=True)
        if st.get("save"):
            llm.save(st["save"])
    train_sec = time.time() - t1
    after = evaluate(llm, by_task)
    res = {"name": name, "config": c, "world": cfg.to_dict(), "n_train": len(tr), "stages": stage_results, "before": before, "after": after,
           "in_sample_after": evaluate(llm, tr_by_task), "curve": curve, "train_seconds": round(train_sec, 1),
           "total_seconds": round(time.time() - t0, 1), "params": llm.num_parameters()}
    print("after", json.dumps(after), flush=True)
    save_json(f"{HERE}/results/{name}.json", res)
    if c["save_model"]:
        llm.save(c["save_model"]) if hasattr(llm, "save") else llm.model.save_pretrained(c["save_model"])


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
