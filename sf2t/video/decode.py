"""Video decoding: the one place where files become frames.

Everything downstream (fragment tasks, benchmark items, training, evaluation) asks this
module for frames by exact index, so what a model saw can always be logged and replayed.
decord is the first backend (fast random access); PyAV is the fallback (decodes
sequentially, about a third of decord's speed). Every failure becomes a `VideoError` that
names the file and the reason, never a crash deeper down or a silently short clip; decord's
own C-level messages are kept off the console and folded into that error (`c_stderr`).

Two limits keep a hostile or unexpected file from exhausting memory (an 8192×8192 clip
decodes to 200 MB a frame): `MAX_FRAME_PIXELS` per frame and `MAX_DECODED_BYTES` per
call, checked from the container's header before anything is decoded; `read_frames` and
`load_clip` take both as keywords (``None`` lifts a limit). A file over a limit is refused,
not resized: a resize would change what the model sees and every pixel coordinate a record
stores (boxes, pasted patches).
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sf2t.video.c_stderr import captured_c_stderr, messages
from sf2t.video.sampling import sample_indices

BACKENDS: tuple[str, ...] = ("auto", "decord", "pyav")

#: Largest frame `read_frames` decodes by default: one 4K UHD frame (3840×2160, 25 MB as RGB).
MAX_FRAME_PIXELS: int = 3840 * 2160
#: Largest RGB output of one `read_frames` call by default: 1 GiB (170 frames of 1080p).
MAX_DECODED_BYTES: int = 1 << 30
_INT64_MAX = np.iinfo(np.int64).max


class VideoError(Exception):
    """A video that cannot give the frames asked of it; names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # rebuilt from its own arguments: a worker process's error reaches the parent whole
        return type(self), (self.path, self.reason)


@dataclass(frozen=True)
class VideoInfo:
    path: str
    num_frames: int
    fps: float
    height: int
    width: int

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps if self.fps > 0 else 0.0


@dataclass
class Clip:
    """Decoded frames plus the exact indices they came from.

    ``frames`` is ``(T, H, W, 3)`` uint8 RGB; ``indices[t]`` is the source frame of
    ``frames[t]`` (indices may repeat, e.g. for 0.5× playback).
    """

    path: str
    frames: np.ndarray
    indices: np.ndarray
    fps: float
    num_frames_total: int

    def __len__(self) -> int:
        return len(self.frames)


def _check_file(path: Path) -> os.stat_result:
    """The file's status, or a `VideoError` saying why it is not a readable file: missing, a
    symbolic link loop or a broken link, a directory, empty."""
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise VideoError(path, "is a symbolic link loop") from None
        if path.is_symlink():
            raise VideoError(
                path, f"is a broken symbolic link (its target {os.readlink(path)} does not exist)"
            ) from None
        if exc.errno == errno.ENOENT:
            raise VideoError(path, "file does not exist") from None
        raise VideoError(path, f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise VideoError(path, "is a directory, not a video file")
    if st.st_size == 0:
        raise VideoError(path, "file is empty (0 bytes)")
    return st


def _frame_indices(path: Path, indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """``indices`` as int64, refusing what a cast would silently change (``0.7`` would become
    frame 0): fractions, non-finite numbers, booleans, text, and numbers past int64."""
    raw = np.asarray(indices)
    values = raw.reshape(-1)
    if raw.dtype.kind == "O":  # Python ints too large for int64, or mixed objects
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, np.integer))]
        if bad:
            raise VideoError(path, f"frame indices must be integers, got {bad[0]!r}")
        too_big = [v for v in values if v > _INT64_MAX]
        if too_big:
            raise VideoError(path, f"frame index {too_big[0]} is out of range")
    elif raw.dtype.kind == "u" and values.size and values.max() > _INT64_MAX:
        raise VideoError(path, f"frame index {int(values.max())} is out of range")
    elif raw.dtype.kind == "f":
        bad = values[~np.isfinite(values) | (values != np.round(values))]
        if bad.size:
            raise VideoError(path, f"frame indices must be integers, got {bad[0].item()!r}")
        if values.size and values.max() > _INT64_MAX:
            raise VideoError(path, f"frame index {values.max():.0f} is out of range")
    elif raw.dtype.kind != "i" and values.size:
        raise VideoError(path, f"frame indices must be integers, got {values[0].item()!r}")
    return values.astype(np.int64)


@functools.lru_cache(maxsize=4096)
def _header_size(path: str, mtime_ns: int, size: int) -> tuple[int, int] | None:
    """``(width, height)`` from the container's header (nothing decoded), or None if the
    header does not say. Cached per file version: a video is read many times in a run."""
    import av

    try:
        with av.open(path) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            width, height = int(stream.width or 0), int(stream.height or 0)
    except Exception:
        return None  # the decoders say what is wrong with the file
    return (width, height) if width > 0 and height > 0 else None


def _check_limits(
    path: Path, width: int, height: int, count: int, max_frame_pixels: int | None, max_bytes: int | None
) -> None:
    """Refuse to decode ``count`` frames of ``width`` x ``height`` past either limit."""
    pixels = width * height
    if max_frame_pixels is not None and pixels > max_frame_pixels:
        raise VideoError(
            path,
            f"frames are {width}x{height} ({pixels:,} pixels), over the limit of {max_frame_pixels:,} pixels "
            "per frame (sf2t.video.MAX_FRAME_PIXELS; pass max_frame_pixels= to raise it)",
        )
    total = pixels * 3 * count
    if max_bytes is not None and total > max_bytes:
        raise VideoError(
            path,
            f"{count} frames of {width}x{height} decode to {total / 2**20:,.0f} MiB, over the limit of "
            f"{max_bytes / 2**20:,.0f} MiB per call (sf2t.video.MAX_DECODED_BYTES; ask for fewer frames "
            "or pass max_bytes= to raise it)",
        )


def _decord_available() -> bool:
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def _decord_call(path: Path, what: str, call, *args):
    """``call(*args)`` with decord's C-level messages kept off the console; a failure becomes a
    `VideoError` saying ``what`` failed, with decord's own words (its exception and messages)."""
    with captured_c_stderr() as captured:
        try:
            return call(*args)
        except Exception as exc:  # decord raises its own DECORDError, RuntimeError, AssertionError
            failure = exc
    said = messages(captured[0] if captured else "")
    raise VideoError(path, f"decord {what} ({_short(failure)}{'; ' + said if said else ''})") from failure


def _decord_reader(path: Path):
    import decord

    return _decord_call(path, "cannot open it as a video", decord.VideoReader, str(path), decord.cpu(0))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _probe_decord(path: Path, st: os.stat_result) -> VideoInfo:
    vr = _decord_reader(path)
    n = len(vr)
    if n == 0:
        raise VideoError(path, "contains zero frames")
    size = _header_size(str(path), st.st_mtime_ns, st.st_size)
    if size is None:  # the header does not say: decode the first frame to see
        h, w = _decord_call(path, "failed to decode frame 0", vr.__getitem__, 0).shape[:2]
    else:
        w, h = size
    return VideoInfo(str(path), n, float(vr.get_avg_fps()), int(h), int(w))


def _open_pyav(path: Path):
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:
        raise VideoError(path, f"PyAV cannot open it as a video ({_short(exc)})") from exc
    if not container.streams.video:
        container.close()
        raise VideoError(path, "has no video stream")
    return container


def _probe_pyav(path: Path) -> VideoInfo:
    container = _open_pyav(path)
    try:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        n = 0
        h = w = 0
        for frame in container.decode(stream):
            if n == 0:
                h, w = frame.height, frame.width
            n += 1
    except VideoError:
        raise
    except Exception as exc:
        raise VideoError(path, f"PyAV failed while decoding ({_short(exc)}); the file may be truncated") from exc
    finally:
        container.close()
    if n == 0:
        raise VideoError(path, "contains zero frames")
    return VideoInfo(str(path), n, fps, h, w)


def _read_pyav(path: Path, indices: np.ndarray, limits: tuple[int | None, int | None]) -> np.ndarray:
    wanted = set(int(i) for i in indices)
    last = max(wanted)
    got: dict[int, np.ndarray] = {}
    decoded = 0
    container = _open_pyav(path)
    try:
        for i, frame in enumerate(container.decode(container.streams.video[0])):
            decoded = i + 1
            if i in wanted:
                _check_limits(path, frame.width, frame.height, len(indices), *limits)  # a header may lie
                got[i] = frame.to_ndarray(format="rgb24")
            if i >= last:
                break
    except VideoError:
        raise
    except Exception as exc:
        raise VideoError(path, f"PyAV failed while decoding ({_short(exc)}); the file may be truncated") from exc
    finally:
        container.close()
    missing = sorted(wanted - got.keys())
    if missing:
        raise VideoError(path, f"has {decoded} decodable frames, but frame {missing[0]} was asked for")
    return np.stack([got[int(i)] for i in indices])


def _resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if backend == "auto":
        return "decord" if _decord_available() else "pyav"
    return backend


def probe(path: str | os.PathLike, backend: str = "auto") -> VideoInfo:
    """Frame count, fps and size of a video, or a `VideoError`."""
    path = Path(path)
    st = _check_file(path)
    chosen = _resolve_backend(backend)
    if chosen == "decord":
        try:
            return _probe_decord(path, st)
        except VideoError:
            if backend == "decord":
                raise
            return _probe_pyav(path)  # the fallback has the last word on what is wrong
    return _probe_pyav(path)


def read_frames(
    path: str | os.PathLike,
    indices: Sequence[int] | np.ndarray,
    backend: str = "auto",
    *,
    max_frame_pixels: int | None = MAX_FRAME_PIXELS,
    max_bytes: int | None = MAX_DECODED_BYTES,
) -> np.ndarray:
    """The frames at ``indices`` (any order, repeats allowed) as ``(T, H, W, 3)`` uint8 RGB.

    Raises `VideoError` for a missing, empty, unreadable or truncated file, for an index the
    video does not have or that is not an integer, and for frames past ``max_frame_pixels``
    or an output past ``max_bytes`` (checked before decoding; ``None`` lifts a limit); never
    returns fewer frames than asked.
    """
    path = Path(path)
    idx = _frame_indices(path, indices)
    if idx.size == 0:
        raise ValueError(f"{path}: no frame indices given")
    if idx.min() < 0:
        raise VideoError(path, f"negative frame index {int(idx.min())}")
    st = _check_file(path)
    limits = (max_frame_pixels, max_bytes)
    size = _header_size(str(path), st.st_mtime_ns, st.st_size)
    if size is not None:
        _check_limits(path, *size, idx.size, *limits)
    chosen = _resolve_backend(backend)
    if chosen == "pyav":
        frames = _read_pyav(path, idx, limits)
    else:
        try:
            vr = _decord_reader(path)
        except VideoError:
            if backend == "decord":
                raise
            vr = None  # decord cannot open it: PyAV decides what is wrong
        if vr is None:
            frames = _read_pyav(path, idx, limits)
        else:
            total = len(vr)
            if total == 0:
                raise VideoError(path, "contains zero frames")
            if idx.max() >= total:
                raise VideoError(path, f"has {total} frames, but frame {int(idx.max())} was asked for")
            try:
                frames = _decord_call(
                    path, "failed to decode frames", lambda: vr.get_batch(list(map(int, idx))).asnumpy()
                )
            except VideoError:
                if backend == "decord":
                    raise
                frames = _read_pyav(path, idx, limits)
    if frames.shape[0] != idx.size or frames.ndim != 4 or frames.shape[-1] != 3:
        raise VideoError(path, f"decoded {frames.shape[0]} frames of shape {frames.shape[1:]}, expected {idx.size} RGB")
    return frames


def load_clip(
    path: str | os.PathLike,
    n: int | None = None,
    rule: str = "centers",
    indices: Sequence[int] | None = None,
    backend: str = "auto",
    *,
    max_frame_pixels: int | None = MAX_FRAME_PIXELS,
    max_bytes: int | None = MAX_DECODED_BYTES,
) -> Clip:
    """Decode a clip once: either ``n`` frames by a sampling ``rule`` or exact ``indices``.

    With neither, every frame is decoded. A video shorter than ``n`` frames is a
    `VideoError` naming the file; the limits are `read_frames`'s.
    """
    info = probe(path, backend=backend)
    if indices is not None:
        idx = _frame_indices(Path(path), indices)
    elif n is not None:
        try:
            idx = sample_indices(info.num_frames, n, rule)
        except ValueError as exc:
            raise VideoError(path, f"too short: {exc}") from exc
    else:
        idx = np.arange(info.num_frames)
    frames = read_frames(path, idx, backend=backend, max_frame_pixels=max_frame_pixels, max_bytes=max_bytes)
    return Clip(str(path), frames, idx, info.fps, info.num_frames)
