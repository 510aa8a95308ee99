"""The ``sf2t synth`` subcommand: generate a world folder, or check that folders are disjoint."""

from __future__ import annotations

import argparse
import sys

from sf2t.world.config import ACTIONS, BACKGROUNDS, WorldConfig
from sf2t.world.files import generate
from sf2t.world.seeds import RUNS_PER_SPLIT, SPLITS
from sf2t.world.truth import OverlapError, check_disjoint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="output folder (videos, <id>.json, index.jsonl, world.json)")
    parser.add_argument("--n", type=int, default=100, help="number of videos (default 100)")
    parser.add_argument("--seed", type=int, default=0, help=f"run seed in [0, {RUNS_PER_SPLIT}) (default 0)")
    parser.add_argument("--split", choices=tuple(SPLITS), default="train")
    parser.add_argument("--size", type=int, default=112, help="frame width and height in px (even)")
    parser.add_argument("--frames", type=int, default=32, help="frames per clip")
    parser.add_argument("--fps", type=float, default=8.0)
    parser.add_argument(
        "--backgrounds",
        nargs="+",
        choices=BACKGROUNDS,
        default=list(BACKGROUNDS),
        help="background kinds to draw from (plain only = easy world)",
    )
    parser.add_argument("--actions", nargs="+", choices=ACTIONS, default=list(ACTIONS))
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--check-disjoint",
        nargs="+",
        metavar="DIR",
        help="instead of generating, check that these world folders share no video",
    )


def run_cli(args: argparse.Namespace) -> int:
    if args.check_disjoint:
        try:
            counts = check_disjoint(*args.check_disjoint)
        except OverlapError as exc:
            print(f"sf2t synth: {exc}", file=sys.stderr)
            return 1
        print(f"disjoint: {', '.join(f'{d} ({n} videos)' for d, n in counts.items())}")
        return 0
    if not args.out:
        raise SystemExit("sf2t synth: --out is required (or use --check-disjoint)")
    cfg = WorldConfig(
        width=args.size,
        height=args.size,
        num_frames=args.frames,
        fps=args.fps,
        backgrounds=tuple(args.backgrounds),
        actions=tuple(args.actions),
    )
    truths = generate(
        args.out, args.n, args.split, seed=args.seed, config=cfg, workers=args.workers, progress=not args.no_progress
    )
    print(f"wrote {len(truths)} {args.split} videos to {args.out}")
    return 0
