"""The ``sf2t tasks`` command: write a mixture's fragment-task samples as JSONL.

Bad arguments and unusable outputs are refused before any video is decoded (one line, exit code
2); the output file is locked for the whole run, so a second ``sf2t tasks`` into the same file is
refused instead of racing the first.
"""

from __future__ import annotations

from pathlib import Path

from sf2t.common.cli_args import fail, positive_int
from sf2t.common.locks import OutputBusy, exclusive_output
from sf2t.common.prompts import ANSWER_FORMS
from sf2t.common.records import write_jsonl
from sf2t.tasks.mixture import Mixture
from sf2t.tasks.writer import generate_samples


def add_arguments(parser) -> None:
    parser.add_argument("--videos", required=True, type=Path, help="folder of videos (searched recursively)")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        help="output JSONL file; a missing folder is created, and the file is locked while it is written",
    )
    parser.add_argument("--n", required=True, type=positive_int, help="number of samples to draw")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same arguments give the same file")
    parser.add_argument(
        "--mix",
        default=None,
        help="task ratios, e.g. counting=1,consistency=1,localization=1 (default: all five tasks, equal ratios)",
    )
    parser.add_argument(
        "--frames-per-clip",
        type=positive_int,
        default=32,
        help="frames decoded per video, spread evenly (all of a shorter video)",
    )
    parser.add_argument(
        "--temporal-merge",
        type=positive_int,
        default=1,
        help="frames the target model merges into one (2 for the Qwen2-VL family)",
    )
    parser.add_argument(
        "--answer-form",
        choices=ANSWER_FORMS,
        default="letter",
        help="answer with the option's letter, or with its own words (for cloze training and scoring)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def output_problem(out: Path) -> str | None:
    """Why ``out`` cannot be the output file, or None: a folder, or under a file."""
    if out.is_dir():
        return f"--out {out} is a folder; give a file path such as {out / 'samples.jsonl'}"
    for parent in out.parents:
        if parent.exists():
            return None if parent.is_dir() else f"--out {out}: {parent} is a file, not a folder"
    return None


def run_cli(args) -> int:
    problem = output_problem(args.out)
    if problem:
        return fail("tasks", problem)
    try:
        mixture = Mixture.from_spec(args.mix, temporal_merge=args.temporal_merge)
        with exclusive_output(args.out):
            records, summary = generate_samples(
                args.videos,
                args.n,
                args.seed,
                mixture,
                args.frames_per_clip,
                progress=not args.no_progress,
                answer_form=args.answer_form,
            )
            write_jsonl(args.out, records)
    except (OutputBusy, ValueError, OSError) as exc:
        return fail("tasks", exc)
    print(f"sf2t tasks: {summary.line()} -> {args.out}")
    for name, reason in summary.unreadable:
        print(f"  unreadable: {name}: {reason}")
    return 0 if records else 1
