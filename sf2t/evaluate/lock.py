"""One writer per evaluation folder: an exclusive lock held while a run writes into ``--out``.

Two runs appending to one ``items.jsonl`` duplicate records, and a ``--restart`` deleting it
under a running evaluation corrupts both; the second writer is refused at once with a clear
message instead. The lock is `filelock`'s OS-level lock on ``evaluate.lock`` in the folder:
released by the OS when its holder dies, so a killed run never leaves the folder locked. The
file goes when the run ends, so a finished folder holds only what the run wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "evaluate.lock"


class OutputFolderBusy(RuntimeError):
    """Another evaluation is writing into the same folder."""


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Create ``out`` if needed and hold its lock; a second writer gets `OutputFolderBusy`."""
    from filelock import FileLock, Timeout

    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputFolderBusy(
            f"{out} is being written by another evaluation (it holds {out / LOCK_NAME}); "
            "wait for it to finish or use another --out"
        ) from None
    try:
        yield
    finally:
        # Safe to remove: nobody queues for this lock (a second writer is refused at once), and
        # filelock re-checks after locking that the lock file it holds is still the one on disk.
        (out / LOCK_NAME).unlink(missing_ok=True)
        lock.release()
