"""The ``sf2t`` command (also ``python -m sf2t``): one subcommand per library stage, calling the
same functions the notebooks call.

Each module that offers a subcommand defines ``add_arguments(parser)`` and
``run_cli(args) -> int``; modules are imported lazily so ``sf2t synth --help`` does not
pay for importing torch. Every parser here (subcommands and their own subcommands inherit the
class) shows each option's default in its help and reports a usage error as one line,
``sf2t <cmd>: ...``, with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from sf2t.common.cli_args import USAGE_ERROR

DESCRIPTION = (
    "sf2t makes a synthetic video world, SF²T fragment-task samples and the FineVidBench-mini benchmark, "
    "trains and evaluates Video-LLMs on them, and turns results files into tables, with the same functions "
    "the notebooks call."
)
EPILOG = "Run `sf2t COMMAND --help` for a command's options and their defaults."

SUBCOMMANDS = {
    "synth": ("sf2t.world.cli", "generate the procedural video world: MP4 clips with exact ground truth"),
    "tasks": ("sf2t.tasks.cli", "write SF²T fragment-task samples (JSONL) from a folder of videos"),
    "bench": ("sf2t.bench.cli", "build FineVidBench-mini, print its statistics, validate or export a benchmark"),
    "train": ("sf2t.train", "train a Video-LLM: base, SFT, SF²T or SFT+SF²T"),
    "evaluate": ("sf2t.evaluate.cli", "evaluate a model on a FineVidBench file"),
    "report": ("sf2t.report", "show a results file's rows as a table, or write it as CSV, Markdown and LaTeX"),
}


class HelpFormatter(argparse.HelpFormatter):
    """Each option's help ends with ``(default: X)`` unless it is required, a flag, has no
    default, or its help already says what the default is."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            action.required
            or not action.option_strings
            or action.nargs == 0
            or default is None
            or default == ""
            or default is argparse.SUPPRESS
            or "default" in text
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, list | tuple) else str(default)
        return f"{text} (default: {shown.replace('%', '%%')})".strip()


class Parser(argparse.ArgumentParser):
    """The parser of ``sf2t`` and of every subcommand: defaults shown in help, and a usage error
    as the one line ``<prog>: <message>`` on stderr with exit code 2 (not argparse's usage dump)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser(argv: list[str]) -> Parser:
    parser = Parser(prog="sf2t", description=DESCRIPTION, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    wanted = argv[0] if argv and not argv[0].startswith("-") else None
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        if wanted == name:
            module = importlib.import_module(module_name)
            module.add_arguments(sp)
            sp.set_defaults(_run=module.run_cli)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``sf2t`` with ``argv`` (default: the process's arguments); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else USAGE_ERROR
    if not getattr(args, "_run", None):
        parser.print_help()
        return USAGE_ERROR
    try:
        return int(args._run(args) or 0)
    except BrokenPipeError:  # `sf2t ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
