"""Resumable evaluation runs: per-item records appended as they are made, a run folder whose
config must match to be continued (and that one run at a time writes: `sf2t.evaluate.lock`), a
restart that skips what is recorded, the blind run, and the aggregate written at the end.

A clip is decoded once for all questions on it; items with a pixel ``transform`` get it
applied after decoding exactly as `sf2t.video.transforms.materialize` does. An item that
cannot be asked (invalid, or its frames cannot be made) is skipped and named in the
aggregate's ``skipped`` with the reason; it never ends the run, and a rerun skips it again.

Letter and cloze requests are scored in batches, and a request's scores depend on the other
requests of its batch by float rounding (padding changes the shapes of the matrix products:
up to 2e-6 in log-probability, measured on the four tiny families). So batches are fixed by
the items, the mode and the batch size alone (`pool_plan`), never by what a resumed run has
left to do: a resumed run scores every question in the same batch as an uninterrupted run and
writes the same scores and predictions. The blind run is
the same model with every frame replaced by a black frame of the same size and count (prompt
and frame count unchanged, only the pixels gone), which exposes questions answerable from the
text alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sf2t.bench import SkippedItem
from sf2t.common.prompts import option_letters
from sf2t.common.records import JsonlAppender, RecordError, dumps, iter_jsonl, portable_path
from sf2t.evaluate.aggregation import aggregate
from sf2t.evaluate.formulations import NORMALIZATIONS
from sf2t.evaluate.items import _shifts, item_prompt, rotate_item
from sf2t.evaluate.lock import exclusive
from sf2t.evaluate.prepare import clip_frames, evaluable, loader_skips
from sf2t.evaluate.scoring import _record, _score_requests

MODES = ("letters", "cloze", "generate")
ITEMS_FILE = "items.jsonl"
AGGREGATE_FILE = "aggregate.json"
CONFIG_FILE = "config.json"
#: When and from which commit a run folder was last written: changes every run, so it is kept
#: apart from the aggregate (and git-ignored under ``results/``), which equal runs write byte for byte.
PROVENANCE_FILE = "provenance.json"
BLIND_DIR = "blind"
#: Config keys that must match for a restart to continue an existing run folder.
RUN_IDENTITY = (
    "model",
    "adapter",
    "mode",
    "normalization",
    "circular",
    "blind",
    "bench_sha256",
    "max_new_tokens",
    "batch_size",  # it fixes the batches, and so the last float digits of every score
)


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


def pool_plan(
    items: Sequence[dict[str, Any]], mode: str, circular: bool, batch_size: int
) -> list[list[tuple[str, list[dict[str, Any]]]]]:
    """The items' video groups (in order of first appearance) gathered into pools of about
    ``8 * batch_size`` letter or cloze requests (one group per pool when generating). It
    depends on nothing else, so a resumed run pools, and batches, exactly as a fresh one."""
    by_video: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in items:
        by_video[it["video"]].append(it)
    pool_size = 8 * batch_size if mode in ("letters", "cloze") else 1
    pools: list[list[tuple[str, list[dict[str, Any]]]]] = []
    current: list[tuple[str, list[dict[str, Any]]]] = []
    n_requests = 0
    for video, group in by_video.items():
        current.append((video, group))
        n_requests += sum(len(_shifts(it, circular)) for it in group)
        if n_requests >= pool_size:
            pools.append(current)
            current, n_requests = [], 0
    if current:
        pools.append(current)
    return pools


def _requests(it: dict[str, Any], frames, mode: str, circular: bool) -> list[dict[str, Any]]:
    out = []
    for shift in _shifts(it, circular):
        options, answer = rotate_item(it, shift)
        out.append(
            {
                "item": it["id"],
                "shift": shift,
                "frames": frames,
                "prompt": it["question"] if mode == "cloze" else item_prompt(it, options),
                "options": options,
                "letters": option_letters(len(options)),
                "answer": answer,
                "numbered": bool(it.get("numbered", False)),
            }
        )
    return out


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
    normalization: str = "char",
) -> list[dict[str, Any]]:
    """Score the items not yet in ``path`` and append their records as they are scored.

    ``items`` must pass `sf2t.evaluate.prepare.evaluable`. Each clip is decoded once for all its
    questions; letter and cloze requests are pooled by `pool_plan` and batched by shape within
    a pool; records are written when a pool is scored, so a kill loses at most one pool. A pool
    that a kill left partly written is scored whole again (its batches unchanged) and only its
    missing records written. Returns the skip entries of items whose frames could not be made:
    they are not written, so a rerun tries them again."""
    from tqdm import tqdm  # text bars in a kernel too (tqdm.auto wants ipywidgets, else warns)

    done = read_done(path)
    failed: list[dict[str, Any]] = []
    pending_total = sum(1 for it in items if it["id"] not in done)
    bar = tqdm(total=pending_total, desc=f"{mode}{' blind' if blind else ''}", disable=not progress, unit="q")
    with JsonlAppender(path) as out:
        for pool in pool_plan(items, mode, circular, batch_size):
            pending = {it["id"] for _, group in pool for it in group if it["id"] not in done}
            if not pending:
                continue
            requests: list[dict[str, Any]] = []
            ready: list[dict[str, Any]] = []
            for video, group in pool:
                # generation is per request, so only the pending items need asking
                asked = [it for it in group if it["id"] in pending] if mode == "generate" else group
                frames, problems = clip_frames(videos_root, video, asked, blind)
                failed += [entry for item_id, entry in problems.items() if item_id in pending]
                for it in asked:
                    if it["id"] in frames:
                        requests += _requests(it, frames[it["id"]], mode, circular)
                        ready.append(it)
            _score_requests(model, mode, requests, batch_size, max_new_tokens, normalization)
            per_item = defaultdict(list)
            for r in requests:
                per_item[r["item"]].append(r)
            written = [it for it in ready if it["id"] in pending]
            for it in written:
                out.write(_record(it, per_item[it["id"]], mode, blind))
            bar.total -= len(pending) - len(written)
            if failed:
                bar.set_postfix(skipped=len(failed), refresh=False)
            bar.update(len(written))
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
    normalization: str = "char",
) -> dict[str, Any]:
    """Evaluate ``model`` on ``items`` into ``out_dir``: ``items.jsonl`` (one record per item,
    appended as it goes), ``config.json``, and ``aggregate.json`` (returned). A restart with
    the same config skips the items already recorded and ends with the same aggregate.

    ``mode`` "cloze" asks each question without its options and scores each option's words
    (``normalization`` picks the prediction; every formulation is in the aggregate's
    ``formulations``, PMI from the blind run).

    Items that cannot be asked (invalid, a repeated id, frames that cannot be made) and the
    loader's ``skipped`` are listed in the aggregate's ``skipped`` (line, id, video, reason,
    kind); ``counts`` says how many of ``total`` were ``evaluated``. One run at a time writes
    ``out_dir``: a second gets `OutputFolderBusy`. The files name no machine: ``videos_root`` and
    any `Path` in ``extra_config`` are recorded relative to ``out_dir`` (`portable_path`); the git
    commit and the timestamps, which change every run, go to ``provenance.json`` (also in the
    returned dict), not into ``aggregate.json``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    if mode == "cloze" and circular:
        raise ValueError("circular evaluation rotates option letters; cloze scores option texts, which have no order")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file, not a run folder")
    asked = items
    items, rejected = evaluable(items)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    config = {
        "model": model_name or getattr(model, "family", type(model).__name__),
        "adapter": adapter,
        "family": getattr(model, "family", None),
        "mode": mode,
        "normalization": normalization if mode == "cloze" else None,
        "circular": circular,
        "blind": blind,
        "batch_size": batch_size,
        "max_new_tokens": max_new_tokens if mode == "generate" else None,
        "bench_sha256": items_sha256(items),
        "n_items": len(asked),
        "videos_root": portable_path(videos_root, out),
        "n_bootstrap": n_bootstrap,
        "seed": seed,
        "blind_frames": "black frames, same count and size",
        **{k: portable_path(v, out) if isinstance(v, Path) else v for k, v in (extra_config or {}).items()},
    }
    with exclusive(out):
        _check_config(out, config, resume)
        failed = run_items(
            model,
            items,
            videos_root,
            out / ITEMS_FILE,
            mode,
            circular,
            batch_size,
            blind,
            max_new_tokens,
            progress,
            normalization,
        )
        blind_summary = None
        if blind_baseline and not blind:
            blind_agg = evaluate(
                model,
                asked,
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
                normalization=normalization,
            )
            blind_summary = {k: blind_agg[k] for k in ("overall", "levels", "categories")}
        records = read_done(out / ITEMS_FILE)
        blind_records = read_done(out / BLIND_DIR / ITEMS_FILE) if blind_summary is not None else None
        agg = aggregate(
            items, records, circular=circular, n_bootstrap=n_bootstrap, seed=seed, blind_records=blind_records
        )
        agg["baselines"]["blind"] = blind_summary
        shown_root = (os.path.realpath(videos_root), config["videos_root"])  # a reason names files as config does
        failed = [{**f, "reason": f["reason"].replace(*shown_root)} for f in failed]
        agg["skipped"] = loader_skips(skipped) + rejected + failed
        agg["counts"].update(skipped=len(agg["skipped"]), total=len(asked) + len(skipped))
        agg["config"] = config
        (out / AGGREGATE_FILE).write_text(json.dumps(agg, indent=2, sort_keys=True) + "\n")
        provenance = {
            "git": _git_commit(),
            "timestamps": {
                "started": started,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds_this_session": round(time.perf_counter() - t0, 3),
            },
        }
        (out / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    return {**agg, **provenance}
