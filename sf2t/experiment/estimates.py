"""The estimates every table reports: a mean over seeds with a Student-t interval, a bootstrap
interval over items, a sign-flip permutation test of a paired mean difference, and the minimum
detectable effect of a paired comparison (α = 0.05 two-sided, power 0.8)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

#: Student-t 0.975 quantiles by degrees of freedom (normal beyond 30).
T975 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    11: 2.201,
    12: 2.179,
    13: 2.160,
    14: 2.145,
    15: 2.131,
    16: 2.120,
    17: 2.110,
    18: 2.101,
    19: 2.093,
    20: 2.086,
    21: 2.080,
    22: 2.074,
    23: 2.069,
    24: 2.064,
    25: 2.060,
    26: 2.056,
    27: 2.052,
    28: 2.048,
    29: 2.045,
    30: 2.042,
}
Z_ALPHA = 1.959964  # two-sided α = 0.05
Z_POWER = 0.841621  # power 0.80


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def rng_for(seed: int, *names: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(n.encode()) for n in names)])


def bootstrap_mean_ci(values: np.ndarray, n: int, rng: np.random.Generator) -> tuple[float, float] | None:
    if values.size == 0:
        return None
    means = values[rng.integers(0, values.size, size=(n, values.size))].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


def seed_mean_ci(per_seed: Sequence[float]) -> tuple[float, float, float]:
    x = np.asarray(per_seed, dtype=float)
    mean = float(x.mean())
    if x.size < 2:
        return mean, mean, mean
    half = T975.get(x.size - 1, 1.96) * float(x.std(ddof=1)) / np.sqrt(x.size)
    return mean, mean - half, mean + half


def sign_flip_test(diffs: np.ndarray, n_permutations: int, rng: np.random.Generator) -> float | None:
    """Two-sided p-value of mean(diffs) = 0 by random sign flips (exact-ish, +1 smoothed)."""
    if diffs.size == 0:
        return None
    observed = abs(float(diffs.mean()))
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n_permutations, diffs.size))
    null = np.abs((signs * diffs).mean(axis=1))
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + n_permutations))


def mde(diffs: np.ndarray) -> float | None:
    """The smallest true mean paired difference a two-sided test at α = 0.05 detects with 80% power,
    ``(z_0.975 + z_0.8) · sd(d) / √n`` over the ``n`` paired item differences (normal approximation,
    the observed spread of the differences); None below two items."""
    d = np.asarray(diffs, dtype=float)
    if d.size < 2:
        return None
    return round(float((Z_ALPHA + Z_POWER) * d.std(ddof=1) / np.sqrt(d.size)), 6)
