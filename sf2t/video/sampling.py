"""Which frames to take: uniform sampling by a named rule, fps-based sampling, and playback-speed
variants by index resampling (never re-encoding). One function per rule, so the rule a model saw
is always named."""

from __future__ import annotations

import numpy as np

#: Playback-speed variants used by the benchmark (index resampling, never re-encoding).
PLAYBACK_SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)

#: Named uniform-sampling rules; see `sample_indices`.
SAMPLING_RULES: tuple[str, ...] = ("centers", "endpoints")


def sample_indices(total: int, n: int, rule: str = "centers") -> np.ndarray:
    """``n`` frame indices spread uniformly over ``total`` frames, by a named rule.

    - ``"centers"``: the middle frame of each of ``n`` equal segments (endpoints
      excluded; the rule of TSN-style samplers).
    - ``"endpoints"``: ``n`` evenly spaced indices including the first and last frame
      (``numpy.linspace`` rounded; the rule of most HF video processors).

    Indices are strictly increasing: asking for more frames than exist is an error,
    never a clip with repeated frames passed off as a longer one.
    """
    if rule not in SAMPLING_RULES:
        raise ValueError(f"unknown sampling rule {rule!r}; choose one of {SAMPLING_RULES}")
    if n < 1:
        raise ValueError(f"need at least one frame, asked for n={n}")
    if total < n:
        raise ValueError(f"asked for {n} frames but the video has only {total}")
    if rule == "centers":
        idx = np.floor((np.arange(n) + 0.5) * total / n).astype(np.int64)
    else:
        idx = np.round(np.linspace(0, total - 1, n)).astype(np.int64) if n > 1 else np.array([0])
    return np.clip(idx, 0, total - 1)


def fps_indices(total: int, video_fps: float, target_fps: float, max_frames: int | None = None) -> np.ndarray:
    """Indices of the frames nearest to times ``k / target_fps`` (fps-based sampling)."""
    if total < 1:
        raise ValueError("the video has no frames")
    if video_fps <= 0 or target_fps <= 0:
        raise ValueError(f"fps must be positive (video {video_fps}, target {target_fps})")
    duration = total / video_fps
    times = np.arange(0.0, duration, 1.0 / target_fps)
    idx = np.unique(np.minimum(np.floor(times * video_fps + 1e-9).astype(np.int64), total - 1))
    if max_frames is not None and len(idx) > max_frames:
        idx = idx[sample_indices(len(idx), max_frames, "centers")]
    return idx


def speed_indices(total: int, n: int, speed: float, max_speed: float = 4.0, start: float = 0.0) -> np.ndarray:
    """``n`` indices that play the video at ``speed``× by index resampling.

    At 1× the ``n`` frames span a window of ``total / max_speed`` frames, so the fastest
    variant (``max_speed``) spans the whole video; ``speed``× spans ``speed`` times as
    many frames. Below 1× a window shorter than ``n`` frames repeats frames (slow motion).
    ``start`` in [0, 1] places the window within the video.
    """
    if total < 1:
        raise ValueError("the video has no frames")
    if n < 1:
        raise ValueError(f"need at least one frame, asked for n={n}")
    if not 0 < speed <= max_speed:
        raise ValueError(f"speed must be in (0, {max_speed}], got {speed}")
    window = total * speed / max_speed
    offset = float(np.clip(start, 0.0, 1.0)) * (total - window)
    idx = np.floor(offset + (np.arange(n) + 0.5) * window / n).astype(np.int64)
    return np.clip(idx, 0, total - 1)
