"""Which fine-tuning recipe lets SF²T learn its own tasks at mini scale? A sweep on held-out task
samples only (never benchmark items).

For one committed mini base (text-form answers, cloze scoring), each recipe fine-tunes on the mini
profile's SF²T samples (the train world's videos, the profile's mixture and frame count) and is scored
with `sf2t.evaluate.evaluate` (cloze, per-character normalisation, blind run included) on fresh samples
of the five tasks from the held-out world, which no run trains on. Writes one JSON per recipe and a
summary table.

    python research/sf2t_recipe/sweep.py --family qwen2_vl --recipes lora8 lora32v full \\
        [--steps 300] [--n-train 1600] [--n-per-task 60] [--out research/sf2t_recipe/results]

About 1–6 minutes per recipe on one CPU thread at mini size (full fine-tuning is the slowest).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
RECIPES = {
    "lora8": {"mode": "lora", "lora_rank": 8, "lora_alpha": 16.0, "lr": 5e-4},
    "lora32": {"mode": "lora", "lora_rank": 32, "lora_alpha": 64.0, "lr": 1e-3},
    "lora32v": {"mode": "lora", "lora_rank": 32, "lora_alpha": 64.0, "lr": 1e-3, "train_vision": True},
    "full": {"mode": "full", "lr": 3e-4, "train_vision": True},
    "full_lm": {"mode": "full", "lr": 3e-4, "train_vision": False},
}


def main() -> int:
    from sf2t.common.records import read_jsonl, write_jsonl
    from sf2t.evaluate import evaluate, read_done
    from sf2t.experiment import Paths, load_profile
    from sf2t.experiment.data import sf2t_samples
    from sf2t.experiment.task_eval import as_item
    from sf2t.models import load
    from sf2t.train import finetune

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="qwen2_vl")
    parser.add_argument("--profile", default="mini")
    parser.add_argument("--recipes", nargs="+", default=["lora8", "lora32v", "full"], choices=sorted(RECIPES))
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--n-train", type=int, default=1600)
    parser.add_argument("--n-per-task", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "research" / "sf2t_recipe" / "results"))
    parser.add_argument("--work", default=str(ROOT / "research" / "sf2t_recipe" / "scratch"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    profile = load_profile(args.profile)
    paths = Paths.of(ROOT / "results", profile)
    # the experiment's world folders as notebook 04 made them (run it first); read, never regenerated here
    worlds = {name: str(paths.cache / "worlds" / name) for name in ("train", "heldout")}
    if not all((Path(w) / "index.jsonl").is_file() for w in worlds.values()):
        raise SystemExit(f"no experiment worlds under {paths.cache / 'worlds'}: run notebook 04 of profile {args.profile}")
    base = paths.bases / args.family / "stage-1" / "final"
    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    data = work / f"{args.family}-train-{args.n_train}.jsonl"
    if not data.is_file():
        records, line = sf2t_samples(
            worlds["train"], args.family, args.n_train, args.seed, profile.sf2t.get("mix", ""),
            profile.sf2t.get("frames_per_clip", 16), None, profile.answer_form,
        )  # fmt: skip
        write_jsonl(data, records)
        print("train samples:", line)
    items_path = work / f"{args.family}-heldout-{args.n_per_task}.jsonl"
    if not items_path.is_file():
        records, line = sf2t_samples(
            worlds["heldout"], args.family, 5 * args.n_per_task, args.seed + 1000, "",
            profile.sf2t.get("frames_per_clip", 16),
        )  # fmt: skip
        write_jsonl(items_path, [as_item(r) for r in records])
        print("held-out items:", line)
    items = read_jsonl(items_path)

    def score(model_dir, adapter, name):
        folder = work / "eval" / args.family / name
        shutil.rmtree(folder, ignore_errors=True)
        agg = evaluate(load(model_dir, adapter=adapter), items, worlds["heldout"], folder, mode="cloze",
                       progress=False, resume=False)  # fmt: skip
        recs, blind = read_done(folder / "items.jsonl"), read_done(folder / "blind" / "items.jsonl")
        per_task = {}
        for task in sorted({it["category"] for it in items}):
            ids = [it["id"] for it in items if it["category"] == task]
            per_task[task] = {
                "accuracy": round(sum(recs[i]["correct"] for i in ids) / len(ids), 4),
                "blind": round(sum(blind[i]["correct"] for i in ids) / len(ids), 4),
                "chance": round(sum(1 / len(recs[i]["cloze"]["logprob"]) for i in ids) / len(ids), 4),
                "n": len(ids),
            }
        return {"overall": agg["overall"]["accuracy"], "tasks": per_task}

    summary = {"family": args.family, "base": str(base.relative_to(ROOT)), "steps": args.steps}
    summary["base_scores"] = score(base, None, "base")
    print("base", json.dumps(summary["base_scores"]["tasks"]))
    for name in args.recipes:
        t0 = time.perf_counter()
        recipe = dict(RECIPES[name])
        mode = recipe.pop("mode")
        run = work / "runs" / args.family / name
        shutil.rmtree(run, ignore_errors=True)
        result = finetune(
            base, [{"path": str(data), "root": worlds["train"], "name": "sf2t"}], run, mode=mode, steps=args.steps,
            batch_size=args.batch_size, warmup_steps=10, seed=args.seed, progress=False, resume=False, **recipe,
        )  # fmt: skip
        adapter = result.model_dir if mode == "lora" else None
        model_dir = base if mode == "lora" else result.model_dir
        scores = score(model_dir, adapter, name)
        seconds = round(time.perf_counter() - t0, 1)
        rec = {"recipe": name, "settings": RECIPES[name], "steps": args.steps, "train_s": seconds,
               "final_loss": result.final_loss, **scores}  # fmt: skip
        (out / f"{args.family}-{name}.json").write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
        summary[name] = rec
        print(name, rec["train_s"], "s", json.dumps(scores["tasks"]))
    (out / f"{args.family}-summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
