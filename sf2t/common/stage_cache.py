"""Reuse a finished stage when its inputs are unchanged.

A stage (generate a world, pretrain a base, fine-tune, evaluate) writes into its own folder
and, when it finishes, a ``stage.json`` with the fingerprint of its inputs: the config, the
content of the input files and folders it names, and the package's source code (so a code change
reruns the stage instead of reusing outputs the old code made). Running it again
with the same fingerprint returns the recorded outputs at once; a different fingerprint
means the old outputs are stale, so they are moved aside (never silently overwritten) and
the stage runs again. A stage that was killed midway has no ``stage.json`` yet and simply
runs again; the training and evaluation code resume from their own checkpoints. Outputs that
name files in the stage's folder are recorded relative to it (``./final``), so a marker names
no machine's folders and a moved results folder is still reused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sf2t import __version__

MARKER = "stage.json"


def _hash_path(path: Path, h) -> None:
    if path.is_file():
        h.update(b"F" + path.name.encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    elif path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file() and p.name != MARKER):
            h.update(b"D" + str(child.relative_to(path)).encode())
            _hash_path(child, h)
    else:
        raise FileNotFoundError(f"stage input {path} does not exist")


@functools.cache
def source_digest(parts: tuple[str, ...] | None = None) -> str:
    """SHA-256 of the ``.py`` files (relative path and bytes) of the installed sf2t package, or only
    of its subpackages named in ``parts`` (e.g. ``("world", "video", "common")``)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    paths = root.rglob("*.py") if parts is None else (p for part in parts for p in (root / part).rglob("*.py"))
    for path in sorted(paths):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(inputs: dict[str, Any], code: bool | tuple[str, ...] = True) -> str:
    """SHA-256 of the inputs: plain values as canonical JSON; `Path` values by the content
    of the file or folder they name (so a changed video or checkpoint changes the print).

    ``code`` adds `source_digest`: of the whole package (True), or only of the subpackages a stage
    runs (a tuple of names: a world is regenerated when the world's code changes, not when the
    report's does); a stage whose outputs are kept across code changes on purpose (a committed
    base checkpoint, retrained only when asked) passes ``code=False``.
    """
    h = hashlib.sha256()

    def walk(value: Any) -> Any:
        if isinstance(value, Path):
            sub = hashlib.sha256()
            _hash_path(value, sub)
            return {"__path_sha256__": sub.hexdigest()}
        if isinstance(value, dict):
            return {str(k): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    digest = None if code is False else source_digest(None if code is True else tuple(code))
    record = {"inputs": walk(inputs), "sf2t": __version__, "code": digest}
    h.update(json.dumps(record, sort_keys=True, default=str).encode())
    return h.hexdigest()


def read_marker(out_dir: str | os.PathLike) -> dict[str, Any] | None:
    marker = Path(out_dir) / MARKER
    if not marker.is_file():
        return None
    try:
        return json.loads(marker.read_text())
    except json.JSONDecodeError:
        return None


def run_stage(
    name: str,
    out_dir: str | os.PathLike,
    inputs: dict[str, Any],
    build: Callable[[Path], dict[str, Any]],
    force: bool = False,
    log: Callable[[str], None] = print,
    code: bool | tuple[str, ...] = True,
) -> dict[str, Any]:
    """Run ``build(out_dir) -> outputs`` unless a finished run with the same inputs exists.

    Returns the outputs dict (JSON-serialisable) recorded in ``stage.json``. ``code``: see
    `fingerprint`.
    """
    out = Path(out_dir)
    fp = fingerprint(inputs, code=code)
    marker = read_marker(out)
    if marker and marker.get("fingerprint") == fp and not force:
        log(f"[{name}] reusing finished stage in {out} (inputs unchanged)")
        return _outputs_from_marker(marker["outputs"], out)
    if marker and out.exists():
        aside = stale_folder(out, marker)
        if aside.exists():
            shutil.rmtree(aside)
        out.rename(aside)
        why = "forced rerun" if force and marker.get("fingerprint") == fp else "inputs changed"
        log(f"[{name}] {why}: previous outputs moved to {aside}")
    out.mkdir(parents=True, exist_ok=True)
    log(f"[{name}] running in {out}")
    t0 = time.perf_counter()
    outputs = build(out)
    record = {
        "stage": name,
        "fingerprint": fp,
        "seconds": round(time.perf_counter() - t0, 3),
        "outputs": _outputs_for_marker(outputs, out),
    }
    tmp = out / (MARKER + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, out / MARKER)
    return outputs


def stale_folder(out_dir: str | os.PathLike, marker: dict[str, Any]) -> Path:
    """Where `run_stage` moves the outputs of ``marker``'s run when its inputs changed (a stage
    that can continue from its previous outputs, such as a base whose curriculum grew, looks there)."""
    out = Path(out_dir)
    return out.with_name(f"{out.name}.stale-{marker.get('fingerprint', 'unknown')[:10]}")


def _outputs_for_marker(value: Any, out: Path) -> Any:
    """Absolute paths inside ``out`` as ``./relative`` (the form `_outputs_from_marker` reads back)."""
    if isinstance(value, dict):
        return {k: _outputs_for_marker(v, out) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_outputs_for_marker(v, out) for v in value]
    if isinstance(value, str | os.PathLike) and os.path.isabs(value):
        inside = Path(os.path.abspath(value))
        if inside == out.absolute() or out.absolute() in inside.parents:
            return "./" + inside.relative_to(out.absolute()).as_posix()
    return value


def _outputs_from_marker(value: Any, out: Path) -> Any:
    if isinstance(value, dict):
        return {k: _outputs_from_marker(v, out) for k, v in value.items()}
    if isinstance(value, list):
        return [_outputs_from_marker(v, out) for v in value]
    if isinstance(value, str) and value.startswith("./"):
        return str(out.absolute() / value[2:])
    return value
