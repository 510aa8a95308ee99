"""The ``sf2t`` command: one subcommand per library module, calling the same functions
the notebooks call.

Each module that offers a subcommand defines ``add_arguments(parser)`` and
``run_cli(args) -> int``; modules are imported lazily so ``sf2t synth --help`` does not
pay for importing torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "synth": ("sf2t.world.cli", "generate the procedural video world (MP4 + JSON truth)"),
    "tasks": ("sf2t.tasks.cli", "write SF²T fragment-task samples as JSONL"),
    "bench": ("sf2t.bench.cli", "build, validate or export FineVidBench"),
    "train": ("sf2t.train", "train a Video-LLM (base, SFT, SF²T, SFT+SF²T)"),
    "evaluate": ("sf2t.evaluate.cli", "evaluate a model on FineVidBench"),
    "report": ("sf2t.report", "make tables and figures from results files"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sf2t", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = argv[0] if argv and not argv[0].startswith("-") else None
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if wanted == name:
            module = importlib.import_module(module_name)
            module.add_arguments(sp)
            sp.set_defaults(_run=module.run_cli)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
