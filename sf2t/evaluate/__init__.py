"""Scoring Video-LLMs on FineVidBench: letter scoring (default), generation plus one tested
answer extractor, circular evaluation, baselines, per-item records written as they are made,
resume, and an aggregate with bootstrap confidence intervals.

- Letter scoring reads the log-probabilities of the option letters at the answer position
  (``model.letter_scores_batch``): no text is parsed, every item gets an answer.
- Generation decodes greedily and `extract_letter` turns the text into a letter or None;
  accuracy is reported over all items and over the answered ones.
- Circular evaluation asks every rotation of the options; an item counts as right only if
  every rotation is (a model that prefers a letter cannot pass by that preference).
- Baselines in every aggregate: random guessing (expected accuracy), the majority answer
  letter per category (computed on the items themselves, so an upper bound on any fixed
  letter prior), and, unless switched off, a blind run: the same model with every frame
  replaced by a black frame of the same size and count (prompt and frame count unchanged,
  only the pixels gone), which exposes questions answerable from the text alone.

A clip is decoded once for all questions on it; items with a pixel ``transform`` get it
applied after decoding exactly as `sf2t.video.transforms.materialize` does. The model is used
through duck typing only: ``letter_scores_batch(frames_list, prompts, letters_list,
numbered=...)`` and ``generate(frames, prompt, max_new_tokens=..., numbered=...)``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.bench import CATEGORIES, LEVEL_OF, LEVELS, SkippedItem, load_bench
from sf2t.common.answers import extract_letter
from sf2t.common.prompts import option_letters, render_question
from sf2t.common.records import JsonlAppender, RecordError, dumps, iter_jsonl
from sf2t.video import VideoError
from sf2t.video.transforms import ClipFrames

MODES = ("letters", "generate")
ITEMS_FILE = "items.jsonl"
AGGREGATE_FILE = "aggregate.json"
CONFIG_FILE = "config.json"
BLIND_DIR = "blind"
#: Config keys that must match for a restart to continue an existing run folder.
RUN_IDENTITY = ("model", "adapter", "mode", "circular", "blind", "bench_sha256", "max_new_tokens")


# =========================================================================== items, prompts, rotations


def rotate_item(item: dict[str, Any], shift: int) -> tuple[list[str], str]:
    """Options rotated left by ``shift`` and the answer letter that follows the answer."""
    options = list(item["options"])
    m = len(options)
    k = shift % m
    rotated = options[k:] + options[:k]
    answer_idx = option_letters(m).index(item["answer"])
    return rotated, option_letters(m)[(answer_idx - k) % m]


def item_prompt(item: dict[str, Any], options: Sequence[str] | None = None) -> str:
    return render_question(item["question"], list(item["options"] if options is None else options))


def _shifts(item: dict[str, Any], circular: bool) -> list[int]:
    return list(range(len(item["options"]))) if circular else [0]


def _to_original(letter: str | None, shift: int, m: int) -> str | None:
    """A letter read on a rotated question, written as the letter of the same option text in
    the original order."""
    if letter is None:
        return None
    return option_letters(m)[(option_letters(m).index(letter) + shift) % m]


# =========================================================================== running


def _git_commit() -> dict[str, Any]:
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def items_sha256(items: Sequence[dict[str, Any]]) -> str:
    h = hashlib.sha256()
    for it in items:
        h.update(dumps(it).encode())
        h.update(b"\n")
    return h.hexdigest()


def read_done(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Per-item records already written, by id. A last line cut off by a kill mid-write is
    removed from the file (it is redone); any other malformed line is an error."""
    path = Path(path)
    if not path.exists():
        return {}
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as fh:
            fh.truncate(cut)
    done: dict[str, dict[str, Any]] = {}
    problems = []
    for n, rec, err in iter_jsonl(path):
        if err is None and "id" not in rec:
            err = "record has no 'id'"
        if err is not None:
            problems.append((n, err))
        else:
            done.setdefault(rec["id"], rec)
    if problems:
        raise RecordError(path, problems)
    return done


def _check_config(out: Path, config: dict[str, Any], resume: bool) -> None:
    path = out / CONFIG_FILE
    if path.exists() and resume:
        old = json.loads(path.read_text())
        diff = [k for k in RUN_IDENTITY if old.get(k) != config.get(k)]
        if diff:
            raise ValueError(
                f"{out} holds a run with a different {', '.join(diff)} "
                f"({', '.join(f'{k}={old.get(k)!r}' for k in diff)}); use another --out"
            )
    elif not resume and (out / ITEMS_FILE).exists():
        (out / ITEMS_FILE).unlink()
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def _score_requests(model, mode: str, requests: list[dict[str, Any]], batch_size: int, max_new_tokens: int) -> None:
    """Fill each request (frames, prompt, letters, numbered) with ``pred``, ``raw`` and ``scores``.

    Letter batches group requests of the same shape (numbered or not, frame count, prompt
    length), so a 2-frame question is not padded to a 16-frame one; a request's scores do not
    depend on its batch (the model reads each at its own last position)."""
    if mode == "letters":
        ordered = sorted(requests, key=lambda r: (r["numbered"], len(r["frames"]), len(r["prompt"])))
        for s in range(0, len(ordered), batch_size):
            chunk = ordered[s : s + batch_size]
            scores = model.letter_scores_batch(
                [r["frames"] for r in chunk],
                [r["prompt"] for r in chunk],
                [r["letters"] for r in chunk],
                numbered=[r["numbered"] for r in chunk],
            )
            for r, sc in zip(chunk, scores, strict=True):
                sc = np.asarray(sc, dtype=float)
                r["scores"] = {letter: round(float(v), 6) for letter, v in zip(r["letters"], sc, strict=True)}
                r["pred"] = r["letters"][int(np.argmax(sc))]  # ties go to the first letter
                r["raw"] = None
    else:
        for r in requests:
            text = model.generate(r["frames"], r["prompt"], max_new_tokens=max_new_tokens, numbered=r["numbered"])
            r["raw"] = text
            r["scores"] = None
            r["pred"] = extract_letter(text, r["letters"], r["options"])


def _record(item: dict[str, Any], reqs: list[dict[str, Any]], mode: str, blind: bool) -> dict[str, Any]:
    m = len(item["options"])
    by_shift = []
    for r in reqs:
        by_shift.append(
            {
                "shift": r["shift"],
                "raw": r["raw"],
                "scores": r["scores"],
                "pred": _to_original(r["pred"], r["shift"], m),
                "correct": r["pred"] == r["answer"],
            }
        )
    first = by_shift[0]
    rec = {
        "id": item["id"],
        "video": item["video"],
        "level": item["level"],
        "category": item["category"],
        "answer": item["answer"],
        "frame_indices": [int(i) for i in item["frames"]["indices"]],
        "transform": item["frames"].get("transform"),
        "speed": item["frames"].get("speed"),
        "order": item["frames"].get("order"),
        "numbered": bool(item.get("numbered", False)),
        "mode": mode,
        "blind": blind,
        "raw": first["raw"],
        "scores": first["scores"],
        "pred": first["pred"],
        "answered": all(s["pred"] is not None for s in by_shift),
        "correct": all(s["correct"] for s in by_shift),
    }
    if len(by_shift) > 1:
        rec["rotations"] = by_shift
    return rec


def run_items(
    model,
    items: Sequence[dict[str, Any]],
    videos_root: str | os.PathLike,
    path: str | os.PathLike,
    mode: str = "letters",
    circular: bool = False,
    batch_size: int = 8,
    blind: bool = False,
    max_new_tokens: int = 16,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Score the items not yet in ``path`` and append their records as they are scored.

    Each clip is decoded once for all its questions. Letter requests of several clips are
    pooled (about ``8 * batch_size``) and batched by shape across them; records are written
    when a pool is scored, so a kill loses at most one pool. Returns the problems (items
    whose video could not be decoded): they are not written, so a restart retries them."""
    from tqdm.auto import tqdm

    done = read_done(path)
    todo = [it for it in items if it["id"] not in done]
    by_video: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in todo:
        by_video[it["video"]].append(it)
    failed = []
    pool_size = 8 * batch_size if mode == "letters" else 1
    pool_items: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    bar = tqdm(total=len(todo), desc=f"{mode}{' blind' if blind else ''}", disable=not progress, unit="q")
    with JsonlAppender(path) as out:

        def flush() -> None:
            _score_requests(model, mode, requests, batch_size, max_new_tokens)
            per_item = defaultdict(list)
            for r in requests:
                per_item[r["item"]].append(r)
            for it in pool_items:
                out.write(_record(it, per_item[it["id"]], mode, blind))
            bar.update(len(pool_items))
            pool_items.clear()
            requests.clear()

        for video, group in by_video.items():
            try:
                clip = ClipFrames(videos_root, video, group, blind)
            except (VideoError, ValueError) as exc:
                failed += [{"id": it["id"], "video": video, "reason": str(exc)} for it in group]
                bar.update(len(group))
                continue
            for it in group:
                frames = clip.for_item(it)
                for shift in _shifts(it, circular):
                    options, answer = rotate_item(it, shift)
                    requests.append(
                        {
                            "item": it["id"],
                            "shift": shift,
                            "frames": frames,
                            "prompt": item_prompt(it, options),
                            "options": options,
                            "letters": option_letters(len(options)),
                            "answer": answer,
                            "numbered": bool(it.get("numbered", False)),
                        }
                    )
            pool_items.extend(group)
            if len(requests) >= pool_size:
                flush()
        if pool_items:
            flush()
    bar.close()
    return failed


def evaluate(
    model,
    items: Sequence[dict[str, Any]],
    videos_root: str | os.PathLike,
    out_dir: str | os.PathLike,
    mode: str = "letters",
    circular: bool = False,
    batch_size: int = 8,
    blind: bool = False,
    resume: bool = True,
    blind_baseline: bool = True,
    max_new_tokens: int = 16,
    model_name: str | None = None,
    adapter: str | None = None,
    skipped: Sequence[SkippedItem] = (),
    n_bootstrap: int = 1000,
    seed: int = 0,
    extra_config: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate ``model`` on ``items`` into ``out_dir``: ``items.jsonl`` (one record per item,
    appended as it goes), ``config.json``, and ``aggregate.json`` (returned). A restart with
    the same config skips the items already recorded and ends with the same aggregate."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    ids = [it["id"] for it in items]
    if len(set(ids)) != len(ids):
        raise ValueError("items have duplicate ids")
    out = Path(out_dir)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    config = {
        "model": model_name or getattr(model, "family", type(model).__name__),
        "adapter": adapter,
        "family": getattr(model, "family", None),
        "mode": mode,
        "circular": circular,
        "blind": blind,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens if mode == "generate" else None,
        "bench_sha256": items_sha256(items),
        "n_items": len(items),
        "videos_root": str(videos_root),
        "n_bootstrap": n_bootstrap,
        "seed": seed,
        "blind_frames": "black frames, same count and size",
        **(extra_config or {}),
    }
    _check_config(out, config, resume)
    failed = run_items(
        model, items, videos_root, out / ITEMS_FILE, mode, circular, batch_size, blind, max_new_tokens, progress
    )
    blind_summary = None
    if blind_baseline and not blind:
        blind_agg = evaluate(
            model,
            items,
            videos_root,
            out / BLIND_DIR,
            mode=mode,
            circular=circular,
            batch_size=batch_size,
            blind=True,
            resume=resume,
            blind_baseline=False,
            max_new_tokens=max_new_tokens,
            model_name=model_name,
            adapter=adapter,
            skipped=skipped,
            n_bootstrap=n_bootstrap,
            seed=seed,
            extra_config=extra_config,
            progress=progress,
        )
        blind_summary = {k: blind_agg[k] for k in ("overall", "levels", "categories")}
    records = read_done(out / ITEMS_FILE)
    agg = aggregate(items, records, circular=circular, n_bootstrap=n_bootstrap, seed=seed)
    agg["baselines"]["blind"] = blind_summary
    agg["skipped"] = [{"line": s.line, "id": s.id, "video": s.video, "reason": s.reason} for s in skipped] + failed
    agg["config"] = config
    agg["git"] = _git_commit()
    agg["timestamps"] = {
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_this_session": round(time.perf_counter() - t0, 3),
    }
    (out / AGGREGATE_FILE).write_text(json.dumps(agg, indent=2, sort_keys=True) + "\n")
    return agg


# =========================================================================== aggregation


def bootstrap_ci(
    values: Sequence[float], n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> list[float] | None:
    """Percentile bootstrap interval of the mean; None for no values."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return None
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_resamples, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [round(float(lo), 6), round(float(hi), 6)]


def _group_stats(recs: list[dict[str, Any]], n_bootstrap: int, seed: int, name: str) -> dict[str, Any]:
    n = len(recs)
    correct = [1.0 if r["correct"] else 0.0 for r in recs]
    answered = [c for c, r in zip(correct, recs, strict=True) if r["answered"]]
    s = seed * 1_000_003 + zlib.crc32(name.encode())
    return {
        "n": n,
        "answered": len(answered),
        "correct": int(sum(correct)),
        "accuracy": round(sum(correct) / n, 6) if n else None,
        "accuracy_answered": round(sum(answered) / len(answered), 6) if answered else None,
        "ci95": bootstrap_ci(correct, n_bootstrap, s),
        "ci95_answered": bootstrap_ci(answered, n_bootstrap, s + 1),
    }


def _by_group(items: Sequence[dict[str, Any]], value) -> dict[str, Any]:
    """``value(list of items)`` overall, per level and per category."""
    return {
        "overall": value(list(items)),
        "levels": {lv: value([it for it in items if it["level"] == lv]) for lv in LEVELS},
        "categories": {c: value([it for it in items if it["category"] == c]) for c in CATEGORIES},
    }


def random_baseline(items: Sequence[dict[str, Any]], circular: bool = False) -> dict[str, Any]:
    """Expected accuracy of uniform guessing: 1/m per item, (1/m)^m under circular evaluation."""

    def value(group):
        if not group:
            return None
        p = [(1 / len(it["options"])) ** (len(it["options"]) if circular else 1) for it in group]
        return round(float(np.mean(p)), 6)

    return _by_group(items, value)


def majority_letters(items: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The most frequent answer letter per category (ties: the earliest letter)."""
    out = {}
    for c in CATEGORIES:
        counts = Counter(it["answer"] for it in items if it["category"] == c)
        if counts:
            out[c] = min(counts, key=lambda k: (-counts[k], k))
    return out


def majority_baseline(items: Sequence[dict[str, Any]], circular: bool = False) -> dict[str, Any]:
    """Accuracy of always answering the category's majority letter, computed on the items
    themselves: an upper bound on what any fixed letter prior reaches. Under circular
    evaluation a fixed letter is right on one rotation only, so it scores 0."""
    letters = majority_letters(items)

    def right(it):
        return all(rotate_item(it, k)[1] == letters[it["category"]] for k in _shifts(it, circular))

    def value(group):
        return round(float(np.mean([right(it) for it in group])), 6) if group else None

    res = _by_group(items, value)
    res["letters"] = letters
    return res


def aggregate(
    items: Sequence[dict[str, Any]],
    records: dict[str, dict[str, Any]],
    circular: bool = False,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Accuracy (all items and answered items) with bootstrap 95% intervals, overall, per
    level and per category, plus the random and majority baselines. Items are taken in bench
    order, so the result does not depend on the order records were written in."""
    evaluated = [it for it in items if it["id"] in records]
    recs = [records[it["id"]] for it in evaluated]

    def stats(name, keep):
        return _group_stats([r for r, it in zip(recs, evaluated, strict=True) if keep(it)], n_bootstrap, seed, name)

    result = {
        "overall": stats("overall", lambda it: True),
        "levels": {lv: stats(lv, lambda it, lv=lv: it["level"] == lv) for lv in LEVELS},
        "categories": {c: stats(c, lambda it, c=c: it["category"] == c) for c in CATEGORIES},
        "counts": {
            "items": len(items),
            "evaluated": len(evaluated),
            "not_evaluated": len(items) - len(evaluated),
            "videos": len({it["video"] for it in evaluated}),
        },
        "baselines": {
            "random": random_baseline(evaluated, circular),
            "majority": majority_baseline(evaluated, circular),
        },
    }
    return result


def summary_rows(agg: dict[str, Any]) -> list[dict[str, Any]]:
    """The aggregate as table rows: one per category, level and overall, with the baselines."""
    rows = []
    b = agg["baselines"]
    blind = b.get("blind")

    def row(level, category, s, base_key):
        def pick(d):
            if d is None:
                return None
            return d[base_key[0]] if base_key[1] is None else d[base_key[0]][base_key[1]]

        blind_s = pick(blind) if blind else None
        return {
            "level": level,
            "category": category,
            "n": s["n"],
            "accuracy": s["accuracy"],
            "ci95": s["ci95"],
            "accuracy_answered": s["accuracy_answered"],
            "answered": s["answered"],
            "random": pick(b["random"]),
            "majority": pick(b["majority"]),
            "blind": blind_s["accuracy"] if isinstance(blind_s, dict) else None,
        }

    for c in CATEGORIES:
        rows.append(row(LEVEL_OF[c], c, agg["categories"][c], ("categories", c)))
    for lv in LEVELS:
        rows.append(row(lv, "all", agg["levels"][lv], ("levels", lv)))
    rows.append(row("all", "all", agg["overall"], ("overall", None)))
    return rows


# =========================================================================== models and CLI


def load_model(spec: str, adapter: str | None = None, seed: int = 0):
    """``tiny:FAMILY`` (a tiny random model of that family), a Hugging Face id or a local
    folder; ``adapter`` is a LoRA folder applied on top without merging."""
    import sf2t.models as models

    if spec.startswith("tiny:"):
        llm = models.tiny(spec.split(":", 1)[1], seed=seed)
        if adapter:
            from peft import PeftModel

            llm.model = PeftModel.from_pretrained(llm.model, adapter)
            llm.model.eval()
        return llm
    if not hasattr(models, "load"):
        raise RuntimeError("sf2t.models.load is not available in this version of sf2t")
    return models.load(spec, adapter=adapter)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="tiny:FAMILY, a Hugging Face id or a local folder")
    parser.add_argument("--adapter", default=None, help="LoRA adapter folder, evaluated without merging")
    parser.add_argument("--bench", required=True, help="bench JSONL file")
    parser.add_argument("--videos", default=None, help="data root of the video paths (default: the file's folder)")
    parser.add_argument("--out", required=True, help="run folder (items.jsonl, aggregate.json)")
    parser.add_argument("--mode", choices=MODES, default="letters")
    parser.add_argument("--circular", action="store_true", help="every option rotation must be right")
    parser.add_argument("--blind", action="store_true", help="evaluate with black frames only")
    parser.add_argument("--no-blind-baseline", action="store_true", help="skip the blind baseline run")
    parser.add_argument("--limit", type=int, default=None, help="only the first N items")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--restart", action="store_true", help="discard earlier records in --out")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (tiny models run fastest with 1)")


def run_cli(args: argparse.Namespace) -> int:
    items, skipped = load_bench(args.bench, args.videos)
    for s in skipped:
        print(s)
    if args.limit is not None:
        items = items[: args.limit]
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    model = load_model(args.model, args.adapter, args.seed)
    agg = evaluate(
        model,
        items,
        args.videos or Path(args.bench).parent,
        args.out,
        mode=args.mode,
        circular=args.circular,
        batch_size=args.batch_size,
        blind=args.blind,
        resume=not args.restart,
        blind_baseline=not args.no_blind_baseline,
        max_new_tokens=args.max_new_tokens,
        model_name=args.model,
        adapter=args.adapter,
        skipped=skipped,
        seed=args.seed,
        extra_config={"bench": str(args.bench), "limit": args.limit},
    )
    from sf2t.bench import format_rows

    rows = [{k: ("" if v is None else v) for k, v in r.items()} for r in summary_rows(agg)]
    print(format_rows(rows))
    print(f"wrote {Path(args.out) / AGGREGATE_FILE}")
    return 0
