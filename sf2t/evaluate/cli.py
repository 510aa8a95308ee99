"""The ``sf2t evaluate`` command: load a model (tiny, Hugging Face or local, optionally with a
LoRA adapter), evaluate it on a bench file and print the summary table."""

from __future__ import annotations

import argparse
from pathlib import Path

from sf2t.bench import load_bench
from sf2t.evaluate.aggregation import summary_rows
from sf2t.evaluate.formulations import NORMALIZATIONS
from sf2t.evaluate.runner import AGGREGATE_FILE, MODES, evaluate


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
    from sf2t.bench import format_rows

    rows = [{k: ("" if v is None else v) for k, v in r.items()} for r in summary_rows(agg)]
    print(format_rows(rows))
    print(f"wrote {Path(args.out) / AGGREGATE_FILE}")
    return 0
