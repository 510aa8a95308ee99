"""The ``sf2t bench`` command: build FineVidBench-mini, print its statistics, validate a file,
export it. It lives apart from the loader so that loading a benchmark never imports the builder
or the exporters.

``validate`` checks every item against its video too (`sf2t.bench.fit`) and exits 1 when it
finds a problem; ``export`` exits 1 when no item can be exported. A bad argument or an
unreadable or malformed file is one ``sf2t bench: ...`` message (naming every bad line) and
exit status 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sf2t.bench import bench_stats, format_rows, load_bench, validate
from sf2t.bench.fit import VideoFit
from sf2t.common.cli_args import fail, positive_int
from sf2t.common.records import RecordError
from sf2t.report import write_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    b = sub.add_parser(
        "build",
        help="build FineVidBench-mini from a synthetic world's bench split",
        description="Build FineVidBench-mini from a synthetic world's bench split.",
    )
    b.add_argument("--world", required=True, help="folder written by `sf2t synth --split bench`")
    b.add_argument(
        "--out", required=True, help="output folder: finevidbench_mini.jsonl, videos/, stats (CSV, MD, TeX), build.json"
    )
    b.add_argument(
        "--n-videos",
        type=positive_int,
        default=None,
        help="use the first N videos of the world, by id (default: all of them)",
    )
    b.add_argument("--questions-per-video", type=positive_int, default=25, help="questions asked of each video")
    b.add_argument("--seed", type=int, default=0, help="seed of the question draws: same seed, same file")
    for name, helptext in (("stats", "print the statistics table"), ("validate", "report every problem")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("bench", help="bench JSONL file")
        s.add_argument("--videos", default=None, help="data root of the video paths (default: the file's folder)")
        if name == "stats":
            s.add_argument("--out", default=None, help="write the table as OUT.csv, OUT.md and OUT.tex")
    e = sub.add_parser("export", help="export to a Hugging Face datasets folder and an lmms-eval task")
    e.add_argument("bench")
    e.add_argument("--videos", default=None)
    e.add_argument("--out", required=True)
    e.add_argument("--format", choices=("hf", "lmms-eval", "both"), default="both")
    e.add_argument(
        "--data-format", choices=("parquet", "jsonl"), default="parquet", help="data file of the lmms-eval task"
    )


def argument_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments (None when nothing is), checked before any work."""
    if args.bench_command == "build":
        for flag, value in (("--n-videos", args.n_videos), ("--questions-per-video", args.questions_per_video)):
            if value is not None and value < 1:
                return f"{flag} must be at least 1, got {value}"
        if not Path(args.world).is_dir():
            return f"--world {args.world} is not a folder"
    else:
        if not Path(args.bench).is_file():
            return f"{args.bench} is not a file"
        if args.videos is not None and not Path(args.videos).is_dir():
            return f"--videos {args.videos} is not a folder"
    if args.bench_command in ("build", "export") and Path(args.out).exists() and not Path(args.out).is_dir():
        return f"--out {args.out} is a file; give a folder"
    return None


def run_cli(args: argparse.Namespace) -> int:
    if (problem := argument_problem(args)) is not None:
        return fail("bench", problem)
    if args.bench_command == "build":
        from sf2t.bench.build import build_mini

        try:
            res = build_mini(args.world, args.out, args.n_videos, args.questions_per_video, args.seed)
        except (ValueError, OSError) as exc:  # too few videos, not a bench world, a malformed index
            return fail("bench build", exc)
        print(f"wrote {len(res.items)} questions on {res.stats[-1]['videos']} videos to {res.path}")
        print(format_rows(res.stats))
        return 0
    root = Path(args.videos or Path(args.bench).parent)
    if args.bench_command == "validate":
        problems = validate(args.bench, root, check=VideoFit(root))
        for p in problems:
            print(p)
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    try:  # an export decodes every item's frames: check them against the videos first
        check = VideoFit(root) if args.bench_command == "export" else None
        items, skipped = load_bench(args.bench, root, check=check)
    except RecordError as exc:
        return fail("bench", exc)
    for s in skipped:
        print(s, file=sys.stderr)
    if args.bench_command == "stats":
        rows = bench_stats(items)
        print(format_rows(rows))
        if args.out:
            write_table(rows, Path(args.out).with_suffix(""), caption="FineVidBench statistics", source=args.bench)
        return 0
    if not items:
        why = f"none of the {len(skipped)} items can be exported (their videos are missing under {root})"
        print(f"sf2t bench: export: {args.bench}: {why if skipped else 'no items'}; nothing written", file=sys.stderr)
        return 1
    if skipped:
        print(
            f"sf2t bench: export: {len(skipped)} of {len(items) + len(skipped)} items skipped (above)", file=sys.stderr
        )
    from sf2t.bench.export import export_hf, export_lmms_eval

    out = Path(args.out)
    if args.format in ("hf", "both"):
        print(f"Hugging Face datasets folder: {export_hf(items, out / 'hf', root)}")
    if args.format in ("lmms-eval", "both"):
        print(f"lmms-eval task folder: {export_lmms_eval(items, out / 'lmms_eval', root, args.data_format)}")
    return 0
