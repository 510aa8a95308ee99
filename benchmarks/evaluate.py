"""The per-question cost of every scoring formulation, on the same model and the same items.

Writes ``results/perf/evaluate.json``: questions per second and CPU milliseconds per question of
`sf2t.evaluate.evaluate` in ``letters`` mode (batched, and one question per forward pass), in
``cloze`` mode (each option's words scored on one shared prompt: the prompt's key/value cache is
reused by the options), in cloze mode with every option scored as its own whole sequence (no
prefix reuse, the reference), and in ``generate`` mode (greedy decoding of up to
``--max-new-tokens`` tokens, then `extract_letter`); how often letters and generation pick the same
option, and what sharing a clip's decoding saves. The items are every question of a few clips, as
a real run sees them (about 25 per clip).

Targets: letter scoring at least 3x cheaper than generation; cloze at most 2x the cost of letters.
The ratios are taken in one run,
modes interleaved and repeated, and judged on CPU seconds per question of this process
(torch pinned to ``--threads``, default 1): on a machine shared with other jobs, wall-clock
rates swing several-fold between repeats while CPU time does not. Wall-clock rates are
reported too.

    python benchmarks/evaluate.py [--models tiny:qwen2_vl tiny:llava_onevision] [--videos 3]
                                  [--repeats 3] [--max-new-tokens 16] [--threads 1]

Agreement between the modes is only meaningful for a trained model: a random tiny model
generates noise, which the extractor rightly refuses to read as a letter.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch  # loaded before anything imports decord: the other order crashes torch's forward pass

import sf2t.evaluate as ev
from sf2t import world
from sf2t.bench import save_bench
from sf2t.bench.build import MiniConfig, build_items
from sf2t.evaluate import evaluate, load_model, read_done
from sf2t.video import transforms
from sf2t.video.transforms import materialize

ROOT = Path(__file__).resolve().parents[1]
TARGET_SPEEDUP = 3.0
TARGET_CLOZE_OVER_LETTERS = 2.0


class WholeSequences:
    """The model with cloze scoring that scores every option as its own full sequence (prompt
    encoded once per option): the reference the shared-prefix path is measured against."""

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        return getattr(self._model, name)

    def option_scores(self, *args, **kwargs):
        return self._model.option_scores(*args, **kwargs, reuse_prefix=False)


def make_items(work: Path, n_videos: int) -> list[dict]:
    truths = world.generate(work / "videos", n_videos, "bench", seed=7, progress=False)
    items = build_items(truths, MiniConfig(n_videos=n_videos, questions_per_video=25))
    save_bench(items, work / "bench.jsonl")
    return items


def timed_run(model, items, root: Path, out: Path, **kwargs) -> tuple[dict, dict]:
    """(questions per wall second and CPU milliseconds per question, the per-item records)."""
    shutil.rmtree(out, ignore_errors=True)
    wall, cpu = time.perf_counter(), time.process_time()
    evaluate(model, items, root, out, blind_baseline=False, progress=False, **kwargs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"qps": len(items) / wall, "cpu_ms": 1000 * cpu / len(items)}, read_done(out / ev.ITEMS_FILE)


def decode_sharing(items, root: Path) -> dict:
    """One decode per clip against one decode per question, and how many questions show
    exactly the frames of another question on the same clip (what prefix caching could reuse)."""
    t0 = time.perf_counter()
    for it in items:
        materialize(it, root)
    per_item = time.perf_counter() - t0
    calls = []
    real = transforms.read_frames
    transforms.read_frames = lambda path, idx: calls.append(path) or real(path, idx)
    try:
        t0 = time.perf_counter()
        by_video: dict[str, list] = {}
        for it in items:
            by_video.setdefault(it["video"], []).append(it)
        for video, group in by_video.items():
            clip = ev.ClipFrames(root, video, group, blind=False)
            for it in group:
                clip.for_item(it)
        shared = time.perf_counter() - t0
    finally:
        transforms.read_frames = real
    seen = Counter((it["video"], tuple(it["frames"]["indices"])) for it in items)
    repeated = sum(n for n in seen.values() if n > 1)
    return {
        "questions": len(items),
        "clips": len(by_video),
        "decode_calls_shared": len(calls),
        "seconds_decoding_per_question": round(per_item, 4),
        "seconds_decoding_per_clip": round(shared, 4),
        "decode_speedup": round(per_item / shared, 2) if shared > 0 else None,
        "questions_sharing_exact_frames": repeated,
    }


def bench_model(spec: str, items, root: Path, work: Path, args) -> dict:
    if spec.startswith("tiny:") and args.size == "mini":
        from sf2t.models import MINI, tiny

        model = tiny(spec.split(":", 1)[1], seed=0, **MINI)
    else:
        model = load_model(spec)
    timed_run(model, items[:4], root, work / "warmup")  # first-call costs (kernels, caches)
    timed_run(model, items[:2], root, work / "warmup_gen", mode="generate", max_new_tokens=args.max_new_tokens)
    timed_run(model, items[:4], root, work / "warmup_cloze", mode="cloze")
    runs = {"letters": [], "letters_batch1": [], "cloze": [], "cloze_whole_sequences": [], "generate": []}
    records = {}
    for _ in range(args.repeats):  # interleaved, so a change in machine load hits every mode alike
        m, records["letters"] = timed_run(model, items, root, work / "letters", batch_size=args.batch_size)
        runs["letters"].append(m)
        m, records["cloze"] = timed_run(model, items, root, work / "cloze", mode="cloze", batch_size=args.batch_size)
        runs["cloze"].append(m)
        m, records["whole"] = timed_run(
            WholeSequences(model), items, root, work / "whole", mode="cloze", batch_size=args.batch_size
        )
        runs["cloze_whole_sequences"].append(m)
        m, _ = timed_run(model, items, root, work / "letters1", batch_size=1)
        runs["letters_batch1"].append(m)
        m, records["generate"] = timed_run(
            model, items, root, work / "generate", mode="generate", max_new_tokens=args.max_new_tokens
        )
        runs["generate"].append(m)
    cpu_speedups = [g["cpu_ms"] / a["cpu_ms"] for a, g in zip(runs["letters"], runs["generate"], strict=True)]
    wall_speedups = [a["qps"] / g["qps"] for a, g in zip(runs["letters"], runs["generate"], strict=True)]
    letters, generated = records["letters"], records["generate"]
    answered = [i for i, r in generated.items() if r["answered"]]
    agree = [letters[i]["pred"] == generated[i]["pred"] for i in letters]
    agree_answered = [letters[i]["pred"] == generated[i]["pred"] for i in answered]
    speedup = statistics.median(cpu_speedups)
    cloze_cost = statistics.median(
        c["cpu_ms"] / a["cpu_ms"] for a, c in zip(runs["letters"], runs["cloze"], strict=True)
    )
    reuse = statistics.median(
        w["cpu_ms"] / c["cpu_ms"] for c, w in zip(runs["cloze"], runs["cloze_whole_sequences"], strict=True)
    )
    same = all(
        np.allclose(records["cloze"][i]["cloze"]["logprob"], records["whole"][i]["cloze"]["logprob"], atol=1e-3)
        for i in records["cloze"]
    )
    return {
        "family": getattr(model, "family", None),
        "parameters": model.num_parameters() if hasattr(model, "num_parameters") else None,
        "questions": len(items),
        "questions_per_second": {k: round(statistics.median(r["qps"] for r in v), 3) for k, v in runs.items()},
        "cpu_ms_per_question": {k: round(statistics.median(r["cpu_ms"] for r in v), 2) for k, v in runs.items()},
        "runs": {k: [{key: round(x, 3) for key, x in r.items()} for r in v] for k, v in runs.items()},
        "speedup_letters_over_generate": round(speedup, 2),
        "speedup_cpu_runs": [round(x, 2) for x in cpu_speedups],
        "speedup_wall_clock": round(statistics.median(wall_speedups), 2),
        "speedup_wall_clock_runs": [round(x, 2) for x in wall_speedups],
        "cloze_cost_over_letters": round(cloze_cost, 2),
        "cloze_meets_target": cloze_cost <= TARGET_CLOZE_OVER_LETTERS,
        "prefix_reuse_speedup": round(reuse, 2),
        "prefix_reuse_same_scores": bool(same),
        "meets_target": speedup >= TARGET_SPEEDUP,
        "agreement_all": round(float(np.mean(agree)), 4),
        "generate_answered_share": round(len(answered) / len(generated), 4),
        "agreement_answered": round(float(np.mean(agree_answered)), 4) if answered else None,
        "accuracy": {
            "letters": round(float(np.mean([r["correct"] for r in letters.values()])), 4),
            "generate": round(float(np.mean([r["correct"] for r in generated.values()])), 4),
        },
        "example_generations": [generated[i]["raw"] for i in list(generated)[:3]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tiny:qwen2_vl", "tiny:llava_onevision"])
    parser.add_argument("--videos", type=int, default=3, help="clips; every question of each is asked")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (CPU time is then the cost)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument(
        "--size", choices=("default", "mini"), default="mini", help="tiny model size: the mini profile's or the default"
    )
    parser.add_argument("--out", default=str(ROOT / "results" / "perf" / "evaluate.json"))
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="sf2t_bench_evaluate_"))
    try:
        items = make_items(work, args.videos)
        result = {
            "benchmark": "benchmarks/evaluate.py",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "platform": platform.platform(),
                "python": platform.python_version(),
                "torch_threads": torch.get_num_threads(),
            },
            "settings": {
                "videos": args.videos,
                "threads": args.threads,
                "repeats": args.repeats,
                "batch_size": args.batch_size,
                "max_new_tokens": args.max_new_tokens,
                "model_size": args.size,
                "world": "world.WorldConfig() defaults (112x112, 32 frames)",
            },
            "target": f"letter scoring at least {TARGET_SPEEDUP}x cheaper per question than generation; cloze at "
            f"most {TARGET_CLOZE_OVER_LETTERS}x the cost of letters (CPU seconds; wall-clock ratios alongside)",
            "decoding": decode_sharing(items, work),
            "models": {},
        }
        for spec in args.models:
            print(f"{spec} ...", flush=True)
            result["models"][spec] = bench_model(spec, items, work, work / spec.replace(":", "_"), args)
            r = result["models"][spec]
            print(
                f"  q/s {r['questions_per_second']}  CPU ms/q {r['cpu_ms_per_question']}  "
                f"speedup {r['speedup_letters_over_generate']}x (wall {r['speedup_wall_clock']}x)  "
                f"cloze/letters {r['cloze_cost_over_letters']}x, prefix reuse {r['prefix_reuse_speedup']}x  "
                f"agreement {r['agreement_all']} (answered {r['agreement_answered']})",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["meets_target"] = all(r["meets_target"] and r["cloze_meets_target"] for r in result["models"].values())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
