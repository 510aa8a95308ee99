"""`nox -s crosscheck`: does a real client run our lmms-eval export, and does it answer as sf2t does?

Runs in the shared sf2t environment, in two steps around the lmms-eval run (which happens in the
session's own virtualenv):

    python .ci/crosscheck.py prepare --work DIR --limit N   # FineVidBench-mini items, their export, a base
    python .ci/crosscheck.py compare --work DIR             # sf2t evaluate --mode generate; the agreement

``prepare`` builds a small FineVidBench-mini on the mini profile's world (the world the mini bases
learned), takes ``N`` items spread over the eight categories, exports them as an lmms-eval task and
picks the committed mini Qwen2-VL base (or, when it is absent, saves a tiny random Qwen2-VL).
``compare`` answers the same items with ``sf2t evaluate``'s generation mode, reads lmms-eval's
per-sample log and writes ``results/crosscheck/qwen2_vl.json``: per item both replies and the letters
read from them, and how often they agree. Paths in the record are relative to the repository.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "results" / "bases" / "mini" / "qwen2_vl" / "stage-1" / "final"
RECORD = ROOT / "results" / "crosscheck" / "qwen2_vl.json"
N_VIDEOS, QUESTIONS_PER_VIDEO, MAX_NEW_TOKENS = 12, 25, 16
LMMS_EVAL = next(  # the pin the crosscheck session installs
    r
    for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["sf2t"]["nox"]["crosscheck"]
    if r.startswith("lmms-eval==")
)


def shown(path: str | Path) -> str:
    """A path as the record shows it: relative to the repository when inside it."""
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def prepare(work: Path, limit: int) -> dict[str, Any]:
    from sf2t import models, world
    from sf2t.bench import CATEGORIES, save_bench, spread_subset
    from sf2t.bench.build import build_mini
    from sf2t.bench.export import export_lmms_eval
    from sf2t.experiment import load_profile

    if work.exists():  # every run starts fresh: no evaluation or lmms-eval log of an earlier one is reused
        shutil.rmtree(work)
    config = world.WorldConfig.from_dict(load_profile("mini").world)
    world.generate(work / "world", N_VIDEOS, "bench", seed=0, config=config, progress=False)
    built = build_mini(work / "world", work / "bench", n_videos=N_VIDEOS, questions_per_video=QUESTIONS_PER_VIDEO)
    per_category = -(-limit // len(CATEGORIES))
    items = spread_subset(built.items, per_category)[:limit]
    save_bench(items, work / "bench" / "items.jsonl")
    task_dir = export_lmms_eval(items, work / "lmms_eval", built.path.parent, data_format="jsonl", progress=False)
    if (BASE / "config.json").is_file():
        base, label = BASE, shown(BASE)
    else:  # the committed base is missing (being retrained): a tiny random Qwen2-VL of the same family
        base, label = work / "tiny_qwen2_vl", "tiny:qwen2_vl (random, seed 0; the committed base was absent)"
        models.tiny("qwen2_vl", seed=0).save(base)
    plan = {
        "base": str(base),
        "base_label": label,
        "items": str(work / "bench" / "items.jsonl"),
        "videos_root": str(built.path.parent),
        "task_dir": str(task_dir),
        "task": "finevidbench_mini",
        "limit": len(items),
        "max_frames": max(len(it["frames"]["indices"]) for it in items),
    }
    (work / "plan.json").write_text(json.dumps(plan, indent=1) + "\n")
    print(f"{len(items)} items ({per_category} per category at most) exported to {task_dir}; base {label}")
    return plan


def lmms_eval_samples(output_dir: Path) -> dict[str, dict[str, Any]]:
    """id -> {"text", "pred"} from lmms-eval's ``--log_samples`` file of the task."""
    files = sorted(output_dir.rglob("*samples_finevidbench_mini*.jsonl"))
    if not files:
        raise SystemExit(f"crosscheck: lmms-eval wrote no samples file under {output_dir}")
    out = {}
    for line in files[-1].read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        text = sample.get("filtered_resps", sample.get("resps", ""))
        while isinstance(text, list):  # lmms-eval nests replies in lists in some versions
            text = text[0] if text else ""
        record = sample["overall"]  # what the exported task's process_results recorded for the item
        out[record["id"]] = {"text": text, "pred": record["pred"]}
    return out


def agreement(items: list[dict[str, Any]], ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Per item both replies and letters; the shares of items where the letters and the texts agree."""
    rows = []
    for it in items:
        a, b = ours[it["id"]], theirs[it["id"]]
        rows.append(
            {
                "id": it["id"],
                "category": it["category"],
                "answer": it["answer"],
                "sf2t": {"text": a["raw"], "pred": a["pred"]},
                "lmms_eval": {"text": b["text"], "pred": b["pred"]},
                "same_letter": a["pred"] == b["pred"],
                "same_text": a["raw"].strip() == b["text"].strip(),
            }
        )
    n = len(rows)
    return {
        "n_items": n,
        "same_letter": sum(r["same_letter"] for r in rows) / n,
        "same_text": sum(r["same_text"] for r in rows) / n,
        "accuracy": {
            "sf2t": sum(r["sf2t"]["pred"] == r["answer"] for r in rows) / n,
            "lmms_eval": sum(r["lmms_eval"]["pred"] == r["answer"] for r in rows) / n,
        },
        "answered": {
            "sf2t": sum(r["sf2t"]["pred"] is not None for r in rows) / n,
            "lmms_eval": sum(r["lmms_eval"]["pred"] is not None for r in rows) / n,
        },
        "items": rows,
    }


def compare(work: Path) -> dict[str, Any]:
    import torch

    from sf2t.bench import load_bench
    from sf2t.evaluate import ITEMS_FILE, evaluate, read_done
    from sf2t.models import load

    plan = json.loads((work / "plan.json").read_text())
    items, _ = load_bench(plan["items"], plan["videos_root"])
    torch.set_num_threads(1)
    evaluate(
        load(plan["base"]),
        items,
        plan["videos_root"],
        work / "sf2t_eval",
        mode="generate",
        max_new_tokens=MAX_NEW_TOKENS,
        blind_baseline=False,
        progress=False,
    )
    ours = read_done(work / "sf2t_eval" / ITEMS_FILE)
    theirs = lmms_eval_samples(work / "lmms_eval_output")
    result = agreement(items, ours, theirs)
    record = {
        "what": "lmms-eval's per-item replies on sf2t's export of FineVidBench-mini, against `sf2t evaluate "
        "--mode generate` on the same items with the same base (greedy decoding, at most "
        f"{MAX_NEW_TOKENS} new tokens); letters read by the same extractor on both sides",
        "lmms_eval": {
            "version": LMMS_EVAL.split("==")[1],
            "model": "qwen2_vl",
            "task": plan["task"],
            "limit": plan["limit"],
            "max_num_frames": plan["max_frames"],
            "device": "cpu",
        },
        "sf2t": {
            "version": version("sf2t"),
            "mode": "generate",
            "frames": "the items' own frame indices of the "
            "source videos (lmms-eval reads the exported clips: the same frames, H.264 re-encoded)",
        },
        "differences": "the same question text and system prompt reach the same weights by two routes: sf2t decodes "
        "the item's frames from the source video and prepares them with the model's processor; lmms-eval's qwen2_vl "
        "wrapper reads the exported clip (the same frames, H.264 re-encoded) through qwen_vl_utils, which samples "
        "and resizes video frames by its own rules. A reply can differ wherever the pixels the model receives do",
        "base": plan["base_label"],
        "bench": f"FineVidBench-mini on the mini profile's world: {N_VIDEOS} bench videos, seed 0, "
        f"{QUESTIONS_PER_VIDEO} questions per video, {plan['limit']} spread over the categories",
        **result,
    }
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{result['n_items']} items: same letter {result['same_letter']:.0%}, same text {result['same_text']:.0%}; "
        f"accuracy sf2t {result['accuracy']['sf2t']:.0%}, lmms-eval {result['accuracy']['lmms_eval']:.0%} "
        f"-> {shown(RECORD)}"
    )
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("prepare", "compare"))
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.work, args.limit)
    else:
        compare(args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
