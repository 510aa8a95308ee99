"""The ``sf2t synth`` subcommand: generate a world folder, or check that folders are disjoint.
A bad argument or an unusable folder is one line ``sf2t synth: ...`` and exit code 2."""

from __future__ import annotations

import argparse
from pathlib import Path

from sf2t.common.cli_args import fail, positive_int
from sf2t.world.config import ACTIONS, BACKGROUNDS, WorldConfig
from sf2t.world.files import generate
from sf2t.world.seeds import RUNS_PER_SPLIT, SPLITS
from sf2t.world.truth import OverlapError, check_disjoint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", help="output folder: videos, <id>.json, index.jsonl, world.json (required unless --check-disjoint)"
    )
    parser.add_argument("--n", type=positive_int, default=100, help="number of videos")
    parser.add_argument("--seed", type=int, default=0, help=f"run seed, in [0, {RUNS_PER_SPLIT})")
    parser.add_argument(
        "--split", choices=tuple(SPLITS), default="train", help="which split's seed range the videos come from"
    )
    parser.add_argument("--size", type=positive_int, default=112, help="frame width and height in px (even, 16-2048)")
    parser.add_argument("--frames", type=positive_int, default=32, help="frames per clip")
    parser.add_argument("--fps", type=float, default=8.0, help="frames per second of the MP4 files")
    parser.add_argument(
        "--backgrounds",
        nargs="+",
        choices=BACKGROUNDS,
        default=list(BACKGROUNDS),
        help="background kinds to draw from (plain only = easy world)",
    )
    parser.add_argument("--actions", nargs="+", choices=ACTIONS, default=list(ACTIONS), help="actions to draw from")
    parser.add_argument("--workers", type=positive_int, default=1, help="processes rendering videos")
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
        except OverlapError as exc:  # a finding about the folders, not a usage error
            fail("synth", exc)
            return 1
        except (ValueError, OSError) as exc:
            return fail("synth", exc)
        print(f"disjoint: {', '.join(f'{d} ({n} videos)' for d, n in counts.items())}")
        return 0
    if not args.out:
        return fail("synth", "--out is required (or use --check-disjoint)")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        return fail("synth", f"--out {args.out} is a file, not a folder")
    try:
        cfg = WorldConfig(
            width=args.size,
            height=args.size,
            num_frames=args.frames,
            fps=args.fps,
            backgrounds=tuple(args.backgrounds),
            actions=tuple(args.actions),
        )
        truths = generate(
            args.out,
            args.n,
            args.split,
            seed=args.seed,
            config=cfg,
            workers=args.workers,
            progress=not args.no_progress,
        )
    except (ValueError, OSError) as exc:
        return fail("synth", exc)
    print(f"wrote {len(truths)} {args.split} videos to {args.out}")
    return 0
