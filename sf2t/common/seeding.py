"""Seeds and random-number-generator state: one place that knows every global RNG we use.

Training draws randomness from Python's `random`, NumPy's legacy global generator and torch
(CPU, and CUDA when present). A checkpoint must capture all of them so a resumed run draws the
same numbers an uninterrupted run would. States are kept as plain lists and tensors (no NumPy
arrays, no arbitrary objects) so they load back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) from one integer."""
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def get_rng_state() -> dict[str, Any]:
    """The state of every global generator, as lists and tensors (safe to ``torch.save``)."""
    py_version, py_internal, py_gauss = random.getstate()
    kind, keys, pos, has_gauss, cached_gauss = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {"version": py_version, "internal": list(py_internal), "gauss": py_gauss},
        "numpy": {
            "kind": kind,
            "keys": [int(k) for k in keys],
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gauss": float(cached_gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `get_rng_state` captured."""
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(
        (npy["kind"], np.asarray(npy["keys"], dtype=np.uint32), npy["pos"], npy["has_gauss"], npy["cached_gauss"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with every global generator seeded, then put the outer state back,
    so seeded helper work (e.g. building a tiny model) does not shift the caller's stream."""
    saved = get_rng_state()
    set_seed(seed)
    try:
        yield
    finally:
        set_rng_state(saved)


def save_rng_state(path) -> None:
    torch.save(get_rng_state(), path)


def load_rng_state(path) -> None:
    set_rng_state(torch.load(path, weights_only=True))
