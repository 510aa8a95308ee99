"""One writer per evaluation folder: the package's output lock (`sf2t.common.locks`) held while a
run writes into ``--out``. Two runs appending to one ``items.jsonl`` duplicate records, and a
``--restart`` deleting it under a running evaluation corrupts both; the second writer is refused at
once with a clear message instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sf2t.common.locks import OutputBusy, exclusive_output, lock_path


class OutputFolderBusy(RuntimeError):
    """Another evaluation is writing into the same folder."""


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Create ``out`` if needed and hold its lock; a second writer gets `OutputFolderBusy`."""
    try:
        with exclusive_output(out):
            out.mkdir(parents=True, exist_ok=True)
            yield
    except OutputBusy:
        raise OutputFolderBusy(
            f"{out} is being written by another evaluation (it holds {lock_path(out)}); "
            "wait for it to finish or use another --out"
        ) from None
