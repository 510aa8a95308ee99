"""One writer per output: an exclusive lock taken before a command writes a file or a folder, so a
second run aimed at the same output is refused with a clear message instead of interleaving with
the first. The lock is an OS file lock (`filelock`), released when the process ends, even by
SIGKILL, so a crashed run never leaves a stale lock behind; the small lock file itself stays.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class OutputBusy(RuntimeError):
    """Another process holds the lock of this output."""


def lock_path(output: str | os.PathLike) -> Path:
    """The lock file of ``output`` (a file or a folder): ``.<name>.lock`` beside it, so the lock
    exists before the output does and is never part of what is written."""
    output = Path(output)
    return output.parent / f".{output.name}.lock"


@contextmanager
def exclusive_output(output: str | os.PathLike) -> Iterator[Path]:
    """Hold ``output``'s lock for the block, or raise `OutputBusy` at once if another process
    holds it. Creates the output's parent folder (the lock file lives there)."""
    lock_file = lock_path(output)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputBusy(
            f"{output} is being written by another process (it holds {lock_file}); "
            "wait for it to finish or choose another output"
        ) from None
    try:
        yield Path(output)
    finally:
        lock.release()
