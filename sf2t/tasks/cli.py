"""The ``sf2t tasks`` command: write a mixture's fragment-task samples as JSONL."""

from __future__ import annotations

import sys
from pathlib import Path

from sf2t.common.records import write_jsonl
from sf2t.tasks.mixture import Mixture
from sf2t.tasks.writer import generate_samples


def add_arguments(parser) -> None:
    parser.add_argument("--videos", required=True, type=Path, help="folder of videos (searched recursively)")
    parser.add_argument("--out", required=True, type=Path, help="output JSONL file")
    parser.add_argument("--n", required=True, type=int, help="number of samples to draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mix", default=None, help="task ratios, e.g. counting=1,consistency=1,localization=1 (default: equal)"
    )
    parser.add_argument("--frames-per-clip", type=int, default=32, help="frames decoded per video (default 32)")
    parser.add_argument(
        "--temporal-merge", type=int, default=1, help="frames the target model merges (2 for the Qwen2-VL family)"
    )
    parser.add_argument(
        "--answer-form",
        choices=("letter", "text"),
        default="letter",
        help="answer with the option's letter (default) or its own words (for cloze training and scoring)",
    )
    parser.add_argument("--no-progress", action="store_true")


def run_cli(args) -> int:
    try:
        mixture = Mixture.from_spec(args.mix, temporal_merge=args.temporal_merge)
        records, summary = generate_samples(
            args.videos,
            args.n,
            args.seed,
            mixture,
            args.frames_per_clip,
            progress=not args.no_progress,
            answer_form=args.answer_form,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"sf2t tasks: {exc}", file=sys.stderr)
        return 2
    write_jsonl(args.out, records)
    print(f"sf2t tasks: {summary.line()} -> {args.out}")
    for name, reason in summary.unreadable:
        print(f"  unreadable: {name}: {reason}")
    return 0 if records else 1
