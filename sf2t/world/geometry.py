"""How a shape becomes pixels, and what is read off pixels: masks, boxes, contact, regions.

**Boxes** are ``[x0, y0, x1, y1]`` in pixels with ``x1, y1`` exclusive, the bounding box of
the object's drawn pixels clipped to the frame, or ``null`` when none is visible. Objects never
overlap (collide stops at touching: adjacent pixels).
"""

from __future__ import annotations

import math

import numpy as np

from sf2t.world.config import SHAPES


def shape_mask(shape: str, cx: float, cy: float, size: float, angle: float, width: int, height: int):
    """Pixels of a shape as ``(x0, y0, mask)`` (mask is a local window), or None if off-frame.

    A pixel belongs to the shape when its centre lies inside it; ``angle`` is in degrees,
    clockwise on screen. Every shape fits an unrotated ``size`` x ``size`` box centred at
    ``(cx, cy)``; the triangle points up. Shifting the centre by whole pixels shifts the
    mask exactly, which collide relies on.
    """
    reach = size * 0.75 + 1.0
    x0, x1 = max(0, math.floor(cx - reach)), min(width, math.ceil(cx + reach) + 1)
    y0, y1 = max(0, math.floor(cy - reach)), min(height, math.ceil(cy + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    x = (np.arange(x0, x1) + 0.5 - cx)[None, :]
    y = (np.arange(y0, y1) + 0.5 - cy)[:, None]
    if angle % 360:
        t = math.radians(angle)
        u, v = x * math.cos(t) + y * math.sin(t), -x * math.sin(t) + y * math.cos(t)
    else:
        u, v = x, y
    h = size / 2.0
    if shape == "circle":
        mask = x * x + y * y <= h * h
    elif shape == "square":
        mask = (np.abs(u) <= h) & (np.abs(v) <= h)
    elif shape == "diamond":
        mask = np.abs(u) + np.abs(v) <= h
    elif shape == "triangle":
        mask = (v <= h) & (np.abs(u) <= (v + h) / 2.0)
    else:
        raise ValueError(f"unknown shape {shape!r}; choose one of {SHAPES}")
    mask = np.broadcast_to(mask, (y1 - y0, x1 - x0))
    if not mask.any():
        return None
    return x0, y0, mask


def box_of(local) -> list[int] | None:
    if local is None:
        return None
    x0, y0, mask = local
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return [int(x0 + cols[0]), int(y0 + rows[0]), int(x0 + cols[-1] + 1), int(y0 + rows[-1] + 1)]


def full_mask(local, width: int, height: int) -> np.ndarray:
    full = np.zeros((height, width), dtype=bool)
    if local is not None:
        x0, y0, mask = local
        full[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]] = mask
    return full


def touching(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two masks share a pixel edge (4-neighbourhood) or overlap."""
    grown = a.copy()
    grown[1:] |= a[:-1]
    grown[:-1] |= a[1:]
    grown[:, 1:] |= a[:, :-1]
    grown[:, :-1] |= a[:, 1:]
    return bool((grown & b).any())


def region_of(cx: float, cy: float, width: int, height: int) -> str:
    """The cell of a 3 x 3 grid holding a point: "top left", "top", ..., "center", ..., "bottom right"."""
    row = ("top", "", "bottom")[min(2, int(3 * cy / height))]
    col = ("left", "", "right")[min(2, int(3 * cx / width))]
    return " ".join(p for p in (row, col) if p) or "center"
