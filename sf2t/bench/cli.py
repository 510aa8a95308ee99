"""The ``sf2t bench`` command: build FineVidBench-mini, print its statistics, validate a file,
export it. It lives apart from the loader so that loading a benchmark never imports the builder
or the exporters."""

from __future__ import annotations

import argparse
from pathlib import Path

from sf2t.bench import bench_stats, format_rows, load_bench, validate
from sf2t.common.cli_args import fail, positive_int
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


def run_cli(args: argparse.Namespace) -> int:
    if args.bench_command == "build":
        from sf2t.bench.build import build_mini

        try:
            res = build_mini(args.world, args.out, args.n_videos, args.questions_per_video, args.seed)
        except (ValueError, OSError) as exc:  # too few videos, not a bench world, a malformed index
            return fail("bench build", exc)
        print(f"wrote {len(res.items)} questions on {res.stats[-1]['videos']} videos to {res.path}")
        print(format_rows(res.stats))
        return 0
    if args.bench_command == "validate":
        problems = validate(args.bench, args.videos or Path(args.bench).parent)
        for p in problems:
            print(p)
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    items, skipped = load_bench(args.bench, args.videos)
    for s in skipped:
        print(s)
    if args.bench_command == "stats":
        rows = bench_stats(items)
        print(format_rows(rows))
        if args.out:
            write_table(rows, Path(args.out).with_suffix(""), caption="FineVidBench statistics", source=args.bench)
        return 0
    from sf2t.bench.export import export_hf, export_lmms_eval

    root = Path(args.videos or Path(args.bench).parent)
    out = Path(args.out)
    if args.format in ("hf", "both"):
        print(f"Hugging Face datasets folder: {export_hf(items, out / 'hf', root)}")
    if args.format in ("lmms-eval", "both"):
        print(f"lmms-eval task folder: {export_lmms_eval(items, out / 'lmms_eval', root, args.data_format)}")
    return 0
