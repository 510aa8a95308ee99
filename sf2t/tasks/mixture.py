"""The five tasks at default difficulty and a `Mixture` of tasks with explicit sampling
ratios (``--mix``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sf2t.tasks.base import Task
from sf2t.tasks.consistency import Consistency
from sf2t.tasks.counting import Counting
from sf2t.tasks.disorder import Disorder
from sf2t.tasks.localization import Localization
from sf2t.tasks.rearrangement import Rearrangement

TASK_CLASSES: dict[str, type[Task]] = {
    cls.name: cls for cls in (Counting, Consistency, Localization, Disorder, Rearrangement)
}


def default_tasks(temporal_merge: int = 1, options: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Task]:
    """The five tasks at their default difficulty, or with ``options`` (task name -> field
    values, e.g. ``{"disorder": {"num_frames": [4, 4], "spread": "full"}}``, lists as tuples);
    ``temporal_merge`` from the model adapter."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(TASK_CLASSES))
    if unknown:
        raise ValueError(f"task options name unknown task(s) {unknown}; known: {sorted(TASK_CLASSES)}")
    tasks = {}
    for name, cls in TASK_CLASSES.items():
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in options.get(name, {}).items()}
        if name == "counting":
            kwargs.setdefault("temporal_merge", temporal_merge)
        try:
            tasks[name] = cls(**kwargs)
        except TypeError as err:
            raise ValueError(f"task options of {name!r}: {err}") from None
    return tasks


@dataclass(frozen=True)
class Mixture:
    """Tasks with explicit sampling ratios (normalised; every task needs a positive ratio).
    The key names the task in records (``task``), so one kind can appear twice at two
    difficulties (e.g. ``"disorder_swap"``)."""

    tasks: Mapping[str, Task]
    ratios: Mapping[str, float]

    def __post_init__(self):
        if not self.tasks or not self.ratios:
            raise ValueError("a mixture needs at least one task and one ratio")
        unknown = sorted(set(self.ratios) - set(self.tasks))
        if unknown:
            raise ValueError(f"ratios name unknown task(s) {unknown}; known: {sorted(self.tasks)}")
        missing = sorted(set(self.tasks) - set(self.ratios))
        if missing:
            raise ValueError(f"no ratio given for task(s) {missing}")
        for key, value in self.ratios.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"ratio of {key!r} must be a positive number, got {value!r}")
        for key, task in self.tasks.items():
            if not isinstance(task, Task):
                raise ValueError(f"task {key!r} is not a Task: {task!r}")

    @classmethod
    def from_spec(
        cls, spec: str | None = None, temporal_merge: int = 1, options: Mapping[str, Mapping[str, Any]] | None = None
    ) -> Mixture:
        """The tasks of `default_tasks` (with ``options``) with ratios from ``"counting=1,disorder=2"``
        (None or "" = all five, equal ratios); tasks the spec leaves out are dropped."""
        tasks = default_tasks(temporal_merge, options)
        if not spec:
            return cls(tasks, {k: 1.0 for k in tasks})
        ratios = parse_mix(spec)
        unknown = sorted(set(ratios) - set(tasks))
        if unknown:
            raise ValueError(f"--mix names unknown task(s) {unknown}; known: {sorted(tasks)}")
        return cls({k: tasks[k] for k in ratios}, ratios)

    def counts(self, n: int) -> dict[str, int]:
        """Exactly ``n`` samples split by ratio (largest remainder; ties by name)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        total = sum(self.ratios.values())
        quotas = {k: n * v / total for k, v in self.ratios.items()}
        counts = {k: math.floor(q) for k, q in quotas.items()}
        for k in sorted(quotas, key=lambda k: (counts[k] - quotas[k], k))[: n - sum(counts.values())]:
            counts[k] += 1
        return counts

    def assign(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` task names in a random order with exactly `counts` of each."""
        names = [k for k, c in sorted(self.counts(n).items()) for _ in range(c)]
        return [names[i] for i in rng.permutation(len(names))]

    def min_frames(self) -> int:
        return max(t.min_frames() for t in self.tasks.values())


def parse_mix(spec: str) -> dict[str, float]:
    """``"counting=1,disorder=2.5"`` -> ``{"counting": 1.0, "disorder": 2.5}``."""
    ratios: dict[str, float] = {}
    for part in spec.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--mix entries look like name=ratio, got {part.strip()!r}")
        if name in ratios:
            raise ValueError(f"--mix names {name!r} twice")
        try:
            ratios[name] = float(value)
        except ValueError:
            raise ValueError(f"--mix ratio of {name!r} is not a number: {value!r}") from None
    return ratios
