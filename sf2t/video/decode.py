"""Video decoding: the one place where files become frames.

Everything downstream (fragment tasks, benchmark items, training, evaluation) asks this
module for frames by exact index, so what a model saw can always be logged and replayed.
decord is the first backend (fast random access); PyAV is the fallback (decodes
sequentially, about a third of decord's speed). Every failure becomes a `VideoError` that
names the file and the reason, never a crash deeper down or a silently short clip.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sf2t.video.sampling import sample_indices

BACKENDS: tuple[str, ...] = ("auto", "decord", "pyav")


class VideoError(Exception):
    """A video that cannot give the frames asked of it; names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


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


def _check_file(path: Path) -> None:
    if not path.exists():
        raise VideoError(path, "file does not exist")
    if path.is_dir():
        raise VideoError(path, "is a directory, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(path, "file is empty (0 bytes)")


def _decord_available() -> bool:
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def _decord_reader(path: Path):
    import decord

    try:
        return decord.VideoReader(str(path), ctx=decord.cpu(0))
    except Exception as exc:  # decord raises its own DECORDError or RuntimeError
        raise VideoError(path, f"decord cannot open it as a video ({_short(exc)})") from exc


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _probe_decord(path: Path) -> VideoInfo:
    vr = _decord_reader(path)
    n = len(vr)
    if n == 0:
        raise VideoError(path, "contains zero frames")
    h, w = vr[0].shape[:2]
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


def _read_pyav(path: Path, indices: np.ndarray) -> np.ndarray:
    wanted = set(int(i) for i in indices)
    last = max(wanted)
    got: dict[int, np.ndarray] = {}
    decoded = 0
    container = _open_pyav(path)
    try:
        for i, frame in enumerate(container.decode(container.streams.video[0])):
            decoded = i + 1
            if i in wanted:
                got[i] = frame.to_ndarray(format="rgb24")
            if i >= last:
                break
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
    _check_file(path)
    chosen = _resolve_backend(backend)
    if chosen == "decord":
        try:
            return _probe_decord(path)
        except VideoError:
            if backend == "decord":
                raise
            return _probe_pyav(path)  # the fallback has the last word on what is wrong
    return _probe_pyav(path)


def read_frames(path: str | os.PathLike, indices: Sequence[int] | np.ndarray, backend: str = "auto") -> np.ndarray:
    """The frames at ``indices`` (any order, repeats allowed) as ``(T, H, W, 3)`` uint8 RGB.

    Raises `VideoError` for a missing, empty, unreadable or truncated file and for an
    index the video does not have; never returns fewer frames than asked.
    """
    path = Path(path)
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if idx.size == 0:
        raise ValueError(f"{path}: no frame indices given")
    if idx.min() < 0:
        raise VideoError(path, f"negative frame index {int(idx.min())}")
    _check_file(path)
    chosen = _resolve_backend(backend)
    if chosen == "pyav":
        frames = _read_pyav(path, idx)
    else:
        try:
            vr = _decord_reader(path)
        except VideoError:
            if backend == "decord":
                raise
            vr = None  # decord cannot open it: PyAV decides what is wrong
        if vr is None:
            frames = _read_pyav(path, idx)
        else:
            total = len(vr)
            if total == 0:
                raise VideoError(path, "contains zero frames")
            if idx.max() >= total:
                raise VideoError(path, f"has {total} frames, but frame {int(idx.max())} was asked for")
            try:
                frames = vr.get_batch(list(map(int, idx))).asnumpy()
            except Exception as exc:
                if backend == "decord":
                    raise VideoError(path, f"decord failed to decode frames ({_short(exc)})") from exc
                frames = _read_pyav(path, idx)
    if frames.shape[0] != idx.size or frames.ndim != 4 or frames.shape[-1] != 3:
        raise VideoError(path, f"decoded {frames.shape[0]} frames of shape {frames.shape[1:]}, expected {idx.size} RGB")
    return frames


def load_clip(
    path: str | os.PathLike,
    n: int | None = None,
    rule: str = "centers",
    indices: Sequence[int] | None = None,
    backend: str = "auto",
) -> Clip:
    """Decode a clip once: either ``n`` frames by a sampling ``rule`` or exact ``indices``.

    With neither, every frame is decoded. A video shorter than ``n`` frames is a
    `VideoError` naming the file.
    """
    info = probe(path, backend=backend)
    if indices is not None:
        idx = np.asarray(indices, dtype=np.int64)
    elif n is not None:
        try:
            idx = sample_indices(info.num_frames, n, rule)
        except ValueError as exc:
            raise VideoError(path, f"too short: {exc}") from exc
    else:
        idx = np.arange(info.num_frames)
    frames = read_frames(path, idx, backend=backend)
    return Clip(str(path), frames, idx, info.fps, info.num_frames)
