"""The ``sf2t evaluate`` command: load a model (tiny, Hugging Face or local, optionally with a
LoRA adapter), evaluate it on a bench file and print the summary table.

A partial evaluation is loud: the items skipped (and why, grouped) are printed, and the exit
status is 1 when fewer than ``--min-evaluated`` of the bench's items were evaluated (nothing
evaluated always fails). A bad argument or an unreadable file is one ``sf2t evaluate: ...``
line and exit status 2."""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from sf2t.bench import load_bench
from sf2t.bench.fit import VideoFit
from sf2t.common.records import RecordError
from sf2t.evaluate.aggregation import summary_rows
from sf2t.evaluate.formulations import NORMALIZATIONS
from sf2t.evaluate.lock import OutputFolderBusy
from sf2t.evaluate.runner import AGGREGATE_FILE, MODES, evaluate

#: Default of ``--min-evaluated``: a run that evaluated fewer than half the bench's items fails.
MIN_EVALUATED = 0.5


def load_model(spec: str, adapter: str | None = None, seed: int = 0):
    """``tiny:FAMILY`` (a tiny random model of that family), a Hugging Face id or a local
    folder; ``adapter`` is a LoRA folder applied on top without merging."""
    import sf2t.models as models

    if spec.startswith("tiny:"):
        llm = models.tiny(spec.split(":", 1)[1], seed=seed)
        if adapter:
            llm = models.attach_adapter(llm, adapter)  # refuses an adapter trained on another base
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
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="letters",
        help="letters: read the option letters' scores; cloze: score each option's words as the answer "
        "(for small models); generate: decode and extract the letter (default letters)",
    )
    parser.add_argument(
        "--normalization",
        choices=NORMALIZATIONS,
        default="char",
        help="cloze: the log-probability per option (none), per token, or per character (default char)",
    )
    parser.add_argument("--circular", action="store_true", help="every option rotation must be right")
    parser.add_argument("--blind", action="store_true", help="evaluate with black frames only")
    parser.add_argument("--no-blind-baseline", action="store_true", help="skip the blind baseline run")
    parser.add_argument("--limit", type=int, default=None, help="only the first N items of the bench file")
    parser.add_argument("--batch-size", type=int, default=8, help="questions per forward pass (default 8)")
    parser.add_argument("--max-new-tokens", type=int, default=16, help="generate: tokens per reply (default 16)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--restart", action="store_true", help="discard earlier records in --out")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (tiny models run fastest with 1)")
    parser.add_argument(
        "--min-evaluated",
        type=float,
        default=MIN_EVALUATED,
        help="exit with status 1 when fewer than this share of the bench's items could be evaluated "
        f"(skipped items are listed either way; default {MIN_EVALUATED})",
    )


def argument_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments (None when nothing is), checked before any work."""
    for flag, value in (
        ("--limit", args.limit),
        ("--batch-size", args.batch_size),
        ("--max-new-tokens", args.max_new_tokens),
        ("--threads", args.threads),
    ):
        if value is not None and value < 1:
            return f"{flag} must be at least 1, got {value}"
    if not 0.0 <= args.min_evaluated <= 1.0:
        return f"--min-evaluated must be a share between 0 and 1, got {args.min_evaluated}"
    if not Path(args.bench).is_file():
        return f"--bench {args.bench} is not a file"
    if args.videos is not None and not Path(args.videos).is_dir():
        return f"--videos {args.videos} is not a folder"
    if Path(args.out).exists() and not Path(args.out).is_dir():
        return f"--out {args.out} is a file; give a folder for the run"
    return None


def skipped_summary(agg: dict[str, Any], examples: int = 2) -> list[str]:
    """The aggregate's skipped items as lines: how many of how many, then per reason (kind) the
    count and a few examples."""
    skipped = agg.get("skipped") or []
    if not skipped:
        return []
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in skipped:
        by_kind[s.get("kind") or "skipped"].append(s)
    lines = [f"skipped {len(skipped)} of {agg['counts']['total']} items:"]
    for kind, group in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {len(group)} {kind}")
        distinct = {s["reason"]: s for s in reversed(group)}  # the first item of each reason
        for s in sorted(distinct.values(), key=group.index)[:examples]:
            where = [f"line {s['line']}"] if s.get("line") else []
            where += [f"item {s['id']!r}"] if s.get("id") is not None else []
            lines.append(f"    e.g. {', '.join(where) or 'an item'}: {s['reason']}")
    return lines


def _fail(message: str) -> int:
    print(f"sf2t evaluate: {message}", file=sys.stderr)
    return 2


def run_cli(args: argparse.Namespace) -> int:
    if (problem := argument_problem(args)) is not None:
        return _fail(problem)
    videos = args.videos or Path(args.bench).parent
    try:
        items, skipped = load_bench(args.bench, videos, check=VideoFit(videos), skip_invalid=True, limit=args.limit)
    except RecordError as exc:
        return _fail(str(exc))
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    try:
        model = load_model(args.model, args.adapter, args.seed)
    except (ValueError, OSError) as exc:
        return _fail(
            f"cannot load --model {args.model}"
            + (f" with --adapter {args.adapter}" if args.adapter else "")
            + f": {exc}"
        )
    try:
        agg = evaluate(
            model,
            items,
            videos,
            args.out,
            mode=args.mode,
            normalization=args.normalization,
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
            extra_config={"bench": Path(args.bench), "limit": args.limit},
        )
    except (OutputFolderBusy, ValueError) as exc:  # another writer; a folder holding another run
        return _fail(str(exc))
    from sf2t.bench import format_rows

    rows = [{k: ("" if v is None else v) for k, v in r.items()} for r in summary_rows(agg)]
    print(format_rows(rows))
    print(f"wrote {Path(args.out) / AGGREGATE_FILE}")
    for line in skipped_summary(agg):
        print(line, file=sys.stderr)
    counts = agg["counts"]
    share = counts["evaluated"] / counts["total"] if counts["total"] else 0.0
    if counts["evaluated"] == 0 or share < args.min_evaluated:
        print(
            f"sf2t evaluate: evaluated {counts['evaluated']} of {counts['total']} items ({share:.0%}), "
            f"fewer than --min-evaluated {args.min_evaluated:g}; the reasons are under 'skipped' in "
            f"{Path(args.out) / AGGREGATE_FILE}",
            file=sys.stderr,
        )
        return 1
    return 0
