"""The run folder while a run writes into it: one writer at a time (an exclusive lock), no
folder left behind by a run that failed before its first step, and files replaced atomically
through temporary files with unique names.

The lock is ``train.lock`` inside the run folder while a run writes it (`filelock`: an OS-level
lock, released by the OS when the holder dies, so a killed run never leaves the folder locked,
only an unlocked ``train.lock``). Only the main process of a distributed run takes it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sf2t.train.config import ConfigError

LOCK_NAME = "train.lock"


class RunFolderBusy(ConfigError):
    """Another run is writing into the same output_dir."""


class Claim:
    """Held while a run owns its folder; `started` marks the point after which a failure keeps
    the folder (it then holds checkpoints or a loss curve worth keeping)."""

    def __init__(self) -> None:
        self.started = False

    def start(self) -> None:
        self.started = True


@contextmanager
def claimed(run_dir: Path, main: bool = True) -> Iterator[Claim]:
    """Create ``run_dir`` if needed and hold its lock; a second writer gets `RunFolderBusy`.
    If this call created the folder and the run fails before `Claim.start`, the folder goes."""
    claim = Claim()
    if not main:
        yield claim
        return
    from filelock import FileLock, Timeout

    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(run_dir / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise RunFolderBusy(
            f"{run_dir} is being written by another training run (it holds {run_dir / LOCK_NAME}); "
            "wait for that run to finish or choose another output_dir"
        ) from None
    try:
        yield claim
    except BaseException:
        if created and not claim.started:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    finally:
        # The lock file goes with the lock, so a finished run folder holds only what the run wrote. Safe
        # because nobody waits for this lock: a second writer is refused at once (timeout 0), never queued.
        (run_dir / LOCK_NAME).unlink(missing_ok=True)
        lock.release()


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` by ``text`` all at once, through a temporary file of its own (a unique
    name, so two writers never share one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
