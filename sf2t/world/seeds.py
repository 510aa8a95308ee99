"""Which seed each video gets, and which split and id a seed belongs to.

Splits own disjoint seed ranges (`SPLITS`), and each run seed owns a disjoint block of
`SEED_BLOCK` seeds inside its split (`video_seed`), so two runs never share a video. The seed
is the only randomness of a video: the same seed and `WorldConfig` give byte-identical truth
and identical decoded frames.
"""

from __future__ import annotations

import numpy as np

#: Disjoint video-seed ranges ``[lo, hi)`` per split.
SPLITS: dict[str, tuple[int, int]] = {
    "train": (0, 1_000_000_000),
    "labelled": (1_000_000_000, 2_000_000_000),
    "bench": (2_000_000_000, 3_000_000_000),
}

#: Videos per run seed: run ``seed`` of a split owns video seeds ``lo + seed*SEED_BLOCK + [0, SEED_BLOCK)``.
SEED_BLOCK = 1_000_000

#: Run seeds a split can hold (``(hi - lo) / SEED_BLOCK``).
RUNS_PER_SPLIT = 1_000


def video_seed(split: str, run_seed: int, index: int) -> int:
    """The seed of video ``index`` of run ``run_seed`` in ``split``.

    Rule: ``SPLITS[split][0] + run_seed * SEED_BLOCK + index``. Each run seed owns its own
    block of `SEED_BLOCK` seeds, so runs with different seeds never overlap, and a run of
    ``n`` videos is the prefix of any longer run with the same seed.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {tuple(SPLITS)}")
    if isinstance(run_seed, bool) or not isinstance(run_seed, int | np.integer) or not 0 <= run_seed < RUNS_PER_SPLIT:
        raise ValueError(f"run seed must be an integer in [0, {RUNS_PER_SPLIT}), got {run_seed!r}")
    if not 0 <= index < SEED_BLOCK:
        raise ValueError(f"video index must be in [0, {SEED_BLOCK}), got {index}")
    return SPLITS[split][0] + int(run_seed) * SEED_BLOCK + int(index)


def split_of(seed: int) -> str:
    """The split whose seed range holds ``seed``."""
    for name, (lo, hi) in SPLITS.items():
        if lo <= seed < hi:
            return name
    raise ValueError(f"video seed {seed} lies outside every split range {SPLITS}")


def video_id(seed: int) -> str:
    """``<split>-<offset within the split, at least 6 digits>``, e.g. ``bench-000012``."""
    split = split_of(seed)
    return f"{split}-{seed - SPLITS[split][0]:06d}"
