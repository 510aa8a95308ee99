"""``sf2t train --config FILE [--set key=value ...] [--resume]``: the CLI over `train`.

The same arguments work for ``python -m sf2t.train`` and ``accelerate launch -m sf2t.train``.
Errors in the config or the data are printed as one line ``sf2t train: ...`` (exit code 2), not a
traceback; a run that stops while training (a non-finite loss) exits with 1.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="a TrainConfig as JSON or YAML, or a run folder to resume")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field (values parse as JSON when they can), e.g. --set steps=200 --set model_size.num_layers=4"
        " (repeatable)",
    )
    parser.add_argument("--resume", action="store_true", help="continue from the run's latest checkpoint")
    parser.add_argument("--output-dir", default=None, help="shortcut for --set output_dir=DIR")


def run_cli(args: argparse.Namespace) -> int:
    from sf2t.train.build import CheckpointMismatch
    from sf2t.train.config import ConfigError, TrainConfig
    from sf2t.train.data import DataError
    from sf2t.train.loop import TrainingError, train

    try:
        config = TrainConfig.from_file(args.config)
        overrides = list(args.overrides)
        if args.output_dir is not None:
            overrides.append(f"output_dir={args.output_dir}")
        if args.resume:
            overrides.append("resume=true")
        config = config.with_overrides(overrides).validate()
        result = train(config)
    except (ConfigError, DataError, CheckpointMismatch) as exc:
        print(f"sf2t train: {one_line(exc)}", file=sys.stderr)
        return 2
    except TrainingError as exc:
        print(f"sf2t train: {one_line(exc)}", file=sys.stderr)
        return 1
    if os.environ.get("RANK", "0") == "0":
        print(f"trained {result.steps} steps, final loss {result.final_loss:.4f}; model in {result.model_dir}")
    return 0


def one_line(exc: BaseException) -> str:
    """A multi-line message (a heading, then one problem per line) as one line: heading, then
    the problems separated by semicolons."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else type(exc).__name__
    head = lines[0] if lines[0].endswith(":") else lines[0] + ":"
    return head + " " + "; ".join(lines[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sf2t.train", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))
