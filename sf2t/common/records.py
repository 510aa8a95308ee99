"""JSONL records and data-root paths: the one reader and writer every stage shares.

Task samples, benchmark items, training data and per-item results are all JSONL. A
malformed line is reported with its file and line number (every bad line, not only the
first), and a video path that leaves the data root is refused, so a benchmark file cannot
make a run read arbitrary files. A path written into a results file is written relative to
that file's folder (`portable_path`), so committed results name no folder of one machine.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

#: Deepest nesting of lists and objects a record may have (ours nest three or four levels).
MAX_DEPTH = 32
# a JSON escape of a surrogate: the only way a lone surrogate gets into a parsed record
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class RecordError(ValueError):
    """A malformed records file; ``problems`` lists ``(line_number, message)`` pairs (line 0:
    the file as a whole, e.g. one that cannot be read)."""

    def __init__(self, path: str | os.PathLike, problems: list[tuple[int, str]]):
        self.path = str(path)
        self.problems = problems
        if len(problems) == 1 and problems[0][0] == 0:
            super().__init__(f"{self.path}: {problems[0][1]}")
            return
        shown = "\n".join(f"  line {n}: {msg}" if n else f"  {msg}" for n, msg in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{self.path}: {len(problems)} malformed line(s)\n{shown}{more}")

    def __reduce__(self):  # rebuilt from its own arguments: a worker process's error reaches the parent whole
        return type(self), (self.path, self.problems)


def value_problems(value: Any, where: str = "record") -> list[str]:
    """What keeps ``value`` from being a record `dumps` can write and every reader can read:
    a number that is NaN or infinite, a string with a lone surrogate, nesting deeper than
    `MAX_DEPTH`. Named by their path (``record.meta.x``)."""
    problems: list[str] = []
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        v, at, depth = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            problems.append(f"{at} is {v!r}, not a finite number")
        elif isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError as exc:
                problems.append(f"{at} has a lone surrogate {ascii(v[exc.start])} at character {exc.start}")
        elif isinstance(v, dict | list):
            if depth >= MAX_DEPTH:
                problems.append(f"{at} nests deeper than {MAX_DEPTH} levels")
                continue
            children = v.items() if isinstance(v, dict) else enumerate(v)
            for key, child in children:
                if isinstance(key, str) and (problem := value_problems(key, f"{at} key")):
                    problems += problem
                stack.append((child, f"{at}.{key}" if isinstance(v, dict) else f"{at}[{key}]", depth + 1))
    return sorted(problems)


def printable(value: Any, limit: int = 200) -> str | None:
    """``value`` as at most ``limit`` characters any file can hold (None stays None): itself if
    it is valid text, else its ASCII repr. For naming a bad value in a report."""
    if value is None:
        return None
    if isinstance(value, str) and not value_problems(value):
        return value[:limit]
    return ascii(value)[:limit]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """One line's record, or why it is not one."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    try:
        rec = json.loads(line, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"
    except RecursionError:
        return None, "not valid JSON (nested too deeply to parse)"
    if not isinstance(rec, dict):
        return None, f"expected a JSON object, got {type(rec).__name__}"
    if _SURROGATE_ESCAPE.search(line) or line.count("[") + line.count("{") > MAX_DEPTH:
        problems = value_problems(rec)
        if problems:
            return None, "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
    return rec, None


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield ``(line_number, record, error)`` for each non-blank line; exactly one of
    record and error is set, so callers can collect every problem before failing.

    A line is malformed when it is not UTF-8, not JSON, nests too deeply to parse, holds NaN or
    Infinity (not JSON, and never written by `dumps`) or a lone surrogate (text no file can
    hold), or is not an object. A file that cannot be opened (missing, a directory, a symlink
    loop) raises one `RecordError` naming it (line 0)."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise RecordError(path, [(0, f"cannot be read ({exc.strerror or exc})")]) from None
    with fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            rec, err = _parse_line(raw)
            yield n, rec, err


def read_jsonl(path: str | os.PathLike, required: Iterable[str] = ()) -> list[dict[str, Any]]:
    """All records of a JSONL file, or one `RecordError` naming every bad line."""
    required = tuple(required)
    records, problems = [], []
    for n, rec, err in iter_jsonl(path):
        if err is None:
            missing = [k for k in required if k not in rec]
            if missing:
                err = f"missing field(s) {', '.join(missing)}"
        if err is not None:
            problems.append((n, err))
        else:
            records.append(rec)
    if problems:
        raise RecordError(path, problems)
    return records


def dumps(record: dict[str, Any]) -> str:
    """One canonical JSON line (sorted keys, no NaN), so equal records give equal bytes."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[TextIO]:
    """A text file that replaces ``path`` all at once when the block ends: written to a temporary
    file with a name of its own (two writers never share one), renamed over ``path``; on any failure
    the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")  # umask applies, unlike mkstemp
    fh = open(tmp, "x", encoding="utf-8")
    try:
        with fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` by ``text`` all at once (`atomic_writer`)."""
    with atomic_writer(path) as fh:
        fh.write(text)


def write_jsonl(path: str | os.PathLike, records: Iterable[dict[str, Any]]) -> int:
    """Write records atomically (`atomic_writer`); returns the count."""
    count = 0
    with atomic_writer(path) as fh:
        for rec in records:
            fh.write(dumps(rec) + "\n")
            count += 1
    return count


class JsonlAppender:
    """Append records one at a time, flushed to disk, so a killed run loses nothing."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(dumps(record) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def resolve_under(root: str | os.PathLike, relative: str | os.PathLike) -> Path:
    """``root / relative``, refusing any path that resolves outside ``root``
    (absolute paths, ``..``, symlinks pointing out) or cannot be resolved (a symlink loop)."""
    try:
        root_path = Path(root).resolve()
        candidate = (root_path / relative).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: Python 3.11's "Symlink loop from ..."
        raise ValueError(f"path {str(relative)!r} cannot be resolved ({exc})") from None
    if candidate != root_path and root_path not in candidate.parents:
        raise ValueError(f"path {str(relative)!r} resolves outside the data root {root_path}")
    return candidate


def portable_path(path: str | os.PathLike, base: str | os.PathLike) -> str:
    """``path`` as a results file under ``base`` records it: relative to ``base`` (POSIX
    separators) when the two share a folder below the filesystem root, so a committed file names
    no machine's folders and still points the right way after the repository moves; otherwise
    (another drive, or nothing in common but ``/``) absolute."""
    target, start = os.path.abspath(path), os.path.abspath(base)
    try:
        common = os.path.commonpath([target, start])
    except ValueError:  # different drives
        return Path(target).as_posix()
    if os.path.dirname(common) == common:  # only the filesystem root in common
        return Path(target).as_posix()
    return Path(os.path.relpath(target, start)).as_posix()


def resolve_portable(path: str | os.PathLike, base: str | os.PathLike) -> str:
    """The inverse of `portable_path`: a relative ``path`` read from a file under ``base``."""
    path = os.fspath(path)
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))
