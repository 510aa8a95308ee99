"""Why FineVidBench-mini's order questions do not register what SF²T taught (library run order_llavaov):
the same benchmark items, scored by cloze, as built and with the wording of SF²T's own tasks.

Adjust or Not and Rearrangement items of the run's benchmark (its own world, benchmark split) are asked
  - as built: the benchmark's question and options;
  - task answers: the benchmark's question, the options in the words SF²T trained ("Yes" / "No";
    Rearrangement's options are already order lists);
  - task wording: SF²T's question and answers (sf2t.tasks.Disorder / Rearrangement).
of the run's base and of its SF²T fine-tune, split by the number of frames shown.

Run from the repository root: PYTHONPATH=. python research/frame_order/bench_transfer.py
Writes research/frame_order/results/bench_transfer_order_llavaov.json."""

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from sf2t.models import load
from sf2t.models.options import option_logprobs
from sf2t.video.decode import load_clip

HERE = Path(__file__).resolve().parent
RUN = HERE / "library" / "order_llavaov"
CACHE = RUN / "cache" / "experiment" / "order_llavaov"
MODELS = {
    "base (after the position-caption stage)": HERE / "models" / "e3_pc_llava_onevision",
    "SF²T (3,000 steps)": CACHE / "finetune" / "llava_onevision" / "sf2t" / "seed0" / "run" / "final",
}
TASK_QUESTION = {
    "Adjust or Not": "Are these frames in the correct temporal order?",
    "Rearrangement": "These frames of a video are shuffled. Which order of frame numbers restores the video?",
}
TASK_ANSWER = {"yes, the order is correct": "Yes", "no, the order needs adjusting": "No"}


def variants(item):
    q, opts = item["question"], item["options"]
    task_opts = [TASK_ANSWER.get(o, o) for o in opts]
    return {
        "as built": (q, opts),
        "task answers": (q, task_opts),
        "task wording": (TASK_QUESTION[item["category"]], task_opts),
    }


def wilson(k, n, z=1.96):
    if n == 0:
        return [0.0, 0.0]
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 3), round(c + h, 3)]


@torch.no_grad()
def main():
    torch.set_num_threads(1)
    bench = CACHE / "bench"
    items = [json.loads(x) for x in (bench / "finevidbench_mini.jsonl").read_text().splitlines() if x.strip()]
    items = [it for it in items if it["category"] in TASK_QUESTION]
    clips = [load_clip(bench / it["video"], indices=it["frames"]["indices"]).frames for it in items]
    out = {"run": "order_llavaov", "n_items": len(items), "models": {}}
    for name, path in MODELS.items():
        llm = load(path)
        res = defaultdict(lambda: [0, 0])
        for variant in ("as built", "task answers", "task wording"):
            for it, frames in zip(items, clips, strict=True):
                q, opts = variants(it)[variant]
                (scores,) = option_logprobs(llm, [frames], [q], [opts], numbered=[it["numbered"]])
                pick = int(np.argmax([s for s, _ in scores]))
                right = pick == it["options"].index(it["answer"]) if it["answer"] not in "ABCDEFGH" else (
                    pick == "ABCDEFGH".index(it["answer"]))
                for key in (f"{it['category']} | {variant} | all", f"{it['category']} | {variant} | {len(frames)} frames"):
                    res[key][0] += int(right)
                    res[key][1] += 1
        out["models"][name] = {k: {"acc": round(c / n, 3), "n": n, "ci95": wilson(c, n)} for k, (c, n) in sorted(res.items())}
        print(name, json.dumps({k: v["acc"] for k, v in out["models"][name].items() if k.endswith("all")}), flush=True)
    (HERE / "results" / "bench_transfer_order_llavaov.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
