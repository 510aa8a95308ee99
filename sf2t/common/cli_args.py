"""What every ``sf2t`` subcommand shares at its edge: argument types that refuse impossible numbers
while the command line is parsed, and the one error line (``sf2t <cmd>: ...`` on stderr, exit
code 2) that bad input gets instead of a traceback."""

from __future__ import annotations

import argparse
import sys

#: The exit code of every refused input (argparse's own, too).
USAGE_ERROR = 2


def positive_int(text: str) -> int:
    """An ``argparse`` type: an integer of at least 1."""
    return _bounded_int(text, 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """An ``argparse`` type: an integer of at least 0."""
    return _bounded_int(text, 0, "an integer of at least 0")


def _bounded_int(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be {what}, got {value}")
    return value


def one_line(error: BaseException | str) -> str:
    """An error's message on one line: its lines stripped and joined by ``; `` (by a space after
    a line that ends in a colon, which introduces the ones below it); an `OSError` as ``file:
    reason``."""
    message = str(error)
    if isinstance(error, OSError) and error.strerror:  # not "[Errno 17] File exists: 'x'"
        message = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    text = ""
    for line in (line.strip() for line in message.splitlines()):
        if line:
            text += ("" if not text else " " if text.endswith(":") else "; ") + line
    return text or type(error).__name__


def fail(command: str, error: BaseException | str) -> int:
    """Print ``sf2t <command>: <message>`` on stderr as one line; returns the exit code 2."""
    print(f"sf2t {command}: {one_line(error)}", file=sys.stderr)
    return USAGE_ERROR
