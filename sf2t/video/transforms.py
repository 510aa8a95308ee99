"""Pixel edits a record may carry, pixel comparisons, and the one way to turn a record into frames.

A fragment-task record names its frames by exact source indices (``frames.indices``, in
presentation order) plus an optional ``frames.transform``: the pixel edit that was applied
after decoding. Every parameter of the edit is stored, so the frames a model sees are always

    materialize(record, root) == apply_transform(read_frames(video, indices), transform, root)

and training, evaluation and tests rebuild them exactly. Order perturbations need no
transform: the indices are already in presentation order.

Transform kinds (our specification; positions are 0-based presentation positions):

``{"kind": "edit", "frame": p, "op": ..., "box": [x0, y0, x1, y1], ...}``
    a local edit of frame ``p`` (consistency verification). ``op`` is

    - ``"move"``: the box's content moves by ``"offset": [dx, dy]``; the box it leaves is
      filled with ``"fill": [r, g, b]``;
    - ``"recolour"``: every channel in the box is shifted by ``"shift": [sr, sg, sb]``
      modulo 256 (a shift ``s`` changes every pixel by ``s`` or ``256 - s``, so a shift
      in [64, 192] is visible on any content);
    - ``"erase"``: the box is filled with ``"fill": [r, g, b]``.

``{"kind": "paste", "source": {"video": rel, "index": k, "box": [x0, y0, x1, y1]}, "at": [x, y],
"frames": [p, ...], "outline": {"width": w, "color": [r, g, b]} | null}``
    a patch cut from frame ``k`` of ``source.video`` (relative to the data root) and pasted
    with its top-left corner at ``at`` into the frames at the listed positions
    (localization), optionally with an outline drawn on its border.

The comparison helpers (`changed_mask`, `frames_differ`, `differing_quadrants`) are the one
definition of "visibly different" that every task labels by: labels come from pixels, not
from the intent of an edit, because two distinct video frames can be pixel-identical.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sf2t.common.records import resolve_under
from sf2t.video import read_frames

TRANSFORM_KINDS: tuple[str, ...] = ("edit", "paste")
EDIT_OPS: tuple[str, ...] = ("move", "recolour", "erase")
QUADRANTS: tuple[str, ...] = ("top-left", "top-right", "bottom-left", "bottom-right")

#: A pixel "changed" when some channel moved by more than this (0-255 scale): above the
#: noise H.264 leaves between decodes of a static scene, far below a visible edit.
PIXEL_THRESHOLD = 24
#: A region "differs" when at least this many of its pixels changed (and at least 4).
MIN_CHANGED_FRACTION = 0.002
MIN_CHANGED_PIXELS = 4


# --------------------------------------------------------------------------- comparisons


def changed_mask(a: np.ndarray, b: np.ndarray, threshold: int = PIXEL_THRESHOLD) -> np.ndarray:
    """``(H, W)`` bool: pixels where some channel of ``a`` and ``b`` differs by more than
    ``threshold``."""
    if a.shape != b.shape:
        raise ValueError(f"cannot compare frames of shapes {a.shape} and {b.shape}")
    # |a - b| in uint8 without widening, and one comparison per channel: ten times faster
    # than a max-reduction over the 3-channel axis, and this is the writer's hot spot
    diff = np.maximum(a, b)
    diff -= np.minimum(a, b)
    mask = diff[..., 0] > threshold
    for channel in range(1, diff.shape[-1]):
        mask |= diff[..., channel] > threshold
    return mask


def region_changed(mask: np.ndarray, min_fraction: float = MIN_CHANGED_FRACTION) -> bool:
    """Whether a changed-pixel mask has enough changed pixels to count as a difference."""
    needed = max(MIN_CHANGED_PIXELS, min_fraction * mask.size)
    return int(mask.sum()) >= needed


def frames_differ(
    a: np.ndarray, b: np.ndarray, threshold: int = PIXEL_THRESHOLD, min_fraction: float = MIN_CHANGED_FRACTION
) -> bool:
    """Whether two frames are visibly different (see `changed_mask`, `region_changed`)."""
    return region_changed(changed_mask(a, b, threshold), min_fraction)


def quadrant_slices(height: int, width: int) -> dict[str, tuple[slice, slice]]:
    """Row and column slices of the four quadrants (split at ``height // 2``, ``width // 2``)."""
    h2, w2 = height // 2, width // 2
    return {
        "top-left": (slice(0, h2), slice(0, w2)),
        "top-right": (slice(0, h2), slice(w2, width)),
        "bottom-left": (slice(h2, height), slice(0, w2)),
        "bottom-right": (slice(h2, height), slice(w2, width)),
    }


def differing_quadrants(
    a: np.ndarray, b: np.ndarray, threshold: int = PIXEL_THRESHOLD, min_fraction: float = MIN_CHANGED_FRACTION
) -> list[str]:
    """The quadrants (in `QUADRANTS` order) where ``a`` and ``b`` visibly differ; empty when
    the frames count as identical."""
    mask = changed_mask(a, b, threshold)
    return [
        name
        for name, (rows, cols) in quadrant_slices(*mask.shape).items()
        if region_changed(mask[rows, cols], min_fraction)
    ]


def box_quadrant(box: list[int], height: int, width: int) -> str | None:
    """The quadrant that contains ``box`` entirely, or None if it straddles a border."""
    x0, y0, x1, y1 = box
    for name, (rows, cols) in quadrant_slices(height, width).items():
        if rows.start <= y0 and y1 <= rows.stop and cols.start <= x0 and x1 <= cols.stop:
            return name
    return None


# --------------------------------------------------------------------------- validation


def _box(value: Any, what: str, height: int, width: int) -> tuple[int, int, int, int]:
    if not (isinstance(value, list | tuple) and len(value) == 4 and all(isinstance(v, int) for v in value)):
        raise ValueError(f"{what} must be four integers [x0, y0, x1, y1], got {value!r}")
    x0, y0, x1, y1 = value
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise ValueError(f"{what} {list(value)} is empty or outside a {width}x{height} frame")
    return x0, y0, x1, y1


def _colour(value: Any, what: str) -> np.ndarray:
    if not (isinstance(value, list | tuple) and len(value) == 3 and all(isinstance(v, int) for v in value)):
        raise ValueError(f"{what} must be three integers [r, g, b], got {value!r}")
    if not all(0 <= v <= 255 for v in value):
        raise ValueError(f"{what} {list(value)} has a channel outside 0..255")
    return np.asarray(value, dtype=np.uint8)


def _position(value: Any, num_frames: int, what: str) -> int:
    if not isinstance(value, int) or not 0 <= value < num_frames:
        raise ValueError(f"{what} must be a frame position in 0..{num_frames - 1}, got {value!r}")
    return value


# --------------------------------------------------------------------------- transforms


def _apply_edit(frames: np.ndarray, t: Mapping[str, Any]) -> None:
    num, height, width = frames.shape[:3]
    p = _position(t.get("frame"), num, "edit 'frame'")
    x0, y0, x1, y1 = _box(t.get("box"), "edit 'box'", height, width)
    frame = frames[p]
    op = t.get("op")
    if op == "recolour":
        shift = t.get("shift")
        if not (isinstance(shift, list | tuple) and len(shift) == 3 and all(isinstance(s, int) for s in shift)):
            raise ValueError(f"recolour 'shift' must be three integers, got {shift!r}")
        region = frame[y0:y1, x0:x1].astype(np.int16) + np.asarray(shift, dtype=np.int16)
        frame[y0:y1, x0:x1] = np.mod(region, 256).astype(np.uint8)
    elif op == "erase":
        frame[y0:y1, x0:x1] = _colour(t.get("fill"), "erase 'fill'")
    elif op == "move":
        offset = t.get("offset")
        if not (isinstance(offset, list | tuple) and len(offset) == 2 and all(isinstance(v, int) for v in offset)):
            raise ValueError(f"move 'offset' must be two integers [dx, dy], got {offset!r}")
        dx, dy = offset
        _box([x0 + dx, y0 + dy, x1 + dx, y1 + dy], "moved box", height, width)
        patch = frame[y0:y1, x0:x1].copy()
        frame[y0:y1, x0:x1] = _colour(t.get("fill"), "move 'fill'")
        frame[y0 + dy : y1 + dy, x0 + dx : x1 + dx] = patch
    else:
        raise ValueError(f"unknown edit op {op!r}; choose one of {EDIT_OPS}")


def paste_patch(donor_frame: np.ndarray, t: Mapping[str, Any]) -> np.ndarray:
    """The patch a paste transform inserts: the source box of ``donor_frame``, with the
    outline drawn on its border if the transform has one."""
    source = t.get("source")
    if not isinstance(source, Mapping):
        raise ValueError(f"paste 'source' must be an object with video, index and box, got {source!r}")
    x0, y0, x1, y1 = _box(source.get("box"), "paste source 'box'", *donor_frame.shape[:2])
    patch = donor_frame[y0:y1, x0:x1].copy()
    outline = t.get("outline")
    if outline:
        w = outline.get("width")
        if not isinstance(w, int) or w < 0:
            raise ValueError(f"paste outline 'width' must be a non-negative integer, got {w!r}")
        colour = _colour(outline.get("color"), "paste outline 'color'")
        if w:
            patch[:w], patch[-w:], patch[:, :w], patch[:, -w:] = colour, colour, colour, colour
    return patch


def _read_donor_frame(t: Mapping[str, Any], root: str | os.PathLike | None) -> np.ndarray:
    source = t.get("source") or {}
    video, index = source.get("video"), source.get("index")
    if not isinstance(video, str) or not isinstance(index, int) or index < 0:
        raise ValueError(f"paste 'source' needs a video path and a frame index, got {source!r}")
    if root is None:
        raise ValueError(f"a paste transform needs the data root to read its patch from {video!r}")
    return read_frames(resolve_under(root, video), [index])[0]


def _apply_paste(
    frames: np.ndarray, t: Mapping[str, Any], root: str | os.PathLike | None, donor_frame: np.ndarray | None
) -> None:
    num, height, width = frames.shape[:3]
    positions = t.get("frames")
    if not isinstance(positions, list) or not positions:
        raise ValueError(f"paste 'frames' must be a non-empty list of positions, got {positions!r}")
    positions = [_position(p, num, "paste frame") for p in positions]
    patch = paste_patch(_read_donor_frame(t, root) if donor_frame is None else donor_frame, t)
    at = t.get("at")
    if not (isinstance(at, list | tuple) and len(at) == 2 and all(isinstance(v, int) for v in at)):
        raise ValueError(f"paste 'at' must be two integers [x, y], got {at!r}")
    x, y = at
    ph, pw = patch.shape[:2]
    _box([x, y, x + pw, y + ph], "pasted box", height, width)
    for p in positions:
        frames[p, y : y + ph, x : x + pw] = patch


def apply_transform(
    frames: np.ndarray,
    transform: Mapping[str, Any] | None,
    root: str | os.PathLike | None = None,
    donor_frame: np.ndarray | None = None,
) -> np.ndarray:
    """The frames after ``transform`` (a new array; the input is not modified).

    A paste reads its patch from ``root`` unless the caller already holds the donor
    frame (``donor_frame``, as the task does when it builds the sample).
    """
    frames = np.array(frames, dtype=np.uint8, copy=True)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (T, H, W, 3), got shape {frames.shape}")
    if transform is None:
        return frames
    if not isinstance(transform, Mapping):
        raise ValueError(f"a transform must be null or an object, got {type(transform).__name__}")
    kind = transform.get("kind")
    if kind == "edit":
        _apply_edit(frames, transform)
    elif kind == "paste":
        _apply_paste(frames, transform, root, donor_frame)
    else:
        raise ValueError(f"unknown transform kind {kind!r}; choose one of {TRANSFORM_KINDS}")
    return frames


def materialize(record: Mapping[str, Any], root: str | os.PathLike) -> np.ndarray:
    """The exact ``(T, H, W, 3)`` frames a record shows: ``read_frames`` of its video (under
    ``root``) at ``frames.indices``, then ``frames.transform``."""
    rid = record.get("id", "?")
    video = record.get("video")
    frames_spec = record.get("frames")
    if not isinstance(video, str) or not isinstance(frames_spec, Mapping):
        raise ValueError(f"record {rid!r}: needs 'video' (a path) and 'frames' (indices and transform)")
    indices = frames_spec.get("indices")
    if not isinstance(indices, list) or not indices or not all(isinstance(i, int) for i in indices):
        raise ValueError(f"record {rid!r}: 'frames.indices' must be a non-empty list of integers")
    try:
        frames = read_frames(resolve_under(root, video), indices)
        return apply_transform(frames, frames_spec.get("transform"), root)
    except ValueError as exc:
        raise ValueError(f"record {rid!r}: {exc}") from exc


class ClipFrames:
    """The frames of every item on one video, decoded in one call; per item the exact frames
    `sf2t.video.transforms.materialize` would give (the transform applied after decoding)."""

    def __init__(self, videos_root: str | os.PathLike, video: str, items: Sequence[dict[str, Any]], blind: bool):
        self.root = videos_root
        self.path = resolve_under(videos_root, video)
        wanted = sorted({int(i) for it in items for i in it["frames"]["indices"]})
        self.frames = read_frames(self.path, wanted)
        self.row = {idx: k for k, idx in enumerate(wanted)}
        self.blind = blind

    def for_item(self, item: dict[str, Any]) -> np.ndarray:
        frames = self.frames[[self.row[int(i)] for i in item["frames"]["indices"]]]
        transform = item["frames"].get("transform")
        if transform is not None:
            frames = apply_transform(frames, transform, self.root)
        if self.blind:
            return np.zeros_like(frames)
        return np.ascontiguousarray(frames)
