"""Keeping a C library's own messages off the console.

decord (through its bundled FFmpeg and its logging) writes lines such as ``moov atom not found``
and ``video_reader.cc:83: ERROR opening ...`` straight to file descriptor 2, beside and before
the one clear `VideoError` this package reports. Python's ``sys.stderr`` cannot stop them, so
`captured_c_stderr` points descriptor 2 at a temporary file for the length of a call and hands
back what was written there; the caller folds the useful part into its own message.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

MAX_KEPT_CHARS = 2000


@contextmanager
def captured_c_stderr() -> Iterator[list[str]]:
    """Within the block, whatever C code writes to descriptor 2 goes to a temporary file; the
    yielded list receives that text (at most `MAX_KEPT_CHARS`) when the block ends, also when
    it raises. If descriptor 2 cannot be redirected (closed), the block runs unchanged."""
    captured: list[str] = []
    try:
        saved = os.dup(2)
    except OSError:
        yield captured
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read(MAX_KEPT_CHARS).decode("utf-8", errors="replace"))


def messages(text: str, limit: int = 200) -> str:
    """Captured C output as one line: its distinct messages without their ``[module @ 0x...]``
    or ``[time] file.cc:line:`` prefixes, joined by ``; `` and cut at ``limit`` characters."""
    seen: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        while line.startswith("[") and "]" in line:
            line = line.split("]", 1)[1].strip()
        head, _, rest = line.partition(" ")
        if ".cc:" in head or ".c:" in head:
            line = rest.strip()
        if line and line not in seen:
            seen.append(line)
    joined = "; ".join(seen)
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."
