"""The run folder while a run writes into it: one writer at a time (an exclusive lock), and no
folder left behind by a run that failed before its first step. (Its files are replaced atomically
by `sf2t.common.records.write_text_atomic`.)

The lock is the package's one output lock (`sf2t.common.locks.exclusive_output`: an OS-level lock
beside the folder, released by the OS when the holder dies, so a killed run never leaves the folder
locked). Only the main process of a distributed run takes it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sf2t.common.locks import OutputBusy, exclusive_output, lock_path
from sf2t.train.config import ConfigError


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
    """Create ``run_dir`` if needed and hold its lock (`sf2t.common.locks`); a second writer gets
    `RunFolderBusy`. If this call created the folder and the run fails before `Claim.start`, the
    folder goes."""
    claim = Claim()
    if not main:
        yield claim
        return
    created = not run_dir.exists()
    try:
        with exclusive_output(run_dir):
            run_dir.mkdir(parents=True, exist_ok=True)
            try:
                yield claim
            except BaseException:
                if created and not claim.started:
                    shutil.rmtree(run_dir, ignore_errors=True)
                raise
    except OutputBusy:
        raise RunFolderBusy(
            f"{run_dir} is being written by another training run (it holds {lock_path(run_dir)}); "
            "wait for that run to finish or choose another output_dir"
        ) from None
