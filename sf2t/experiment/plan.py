"""What the experiment runs: one `Run` per evaluated model, planned from a profile."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sf2t.experiment.profiles import TASKS, Profile


@dataclass(frozen=True)
class Run:
    """One evaluated model: a family's base, or a fine-tune of it in one setting with one seed
    (``drop_task``: an SF²T run without that fragment task, for the ablation)."""

    family: str
    setting: str  # base | sft | sf2t | sft_sf2t | control (the positive control)
    seed: int | None = None  # fine-tuning seed; None for the base (one checkpoint per family)
    drop_task: str | None = None

    @property
    def arm(self) -> str:
        """The setting as reported: ``sf2t-no_counting`` for an ablation run."""
        return self.setting + (f"-no_{self.drop_task}" if self.drop_task else "")

    @property
    def id(self) -> str:
        return f"{self.family}/{self.arm}" + ("" if self.seed is None else f"/seed{self.seed}")

    @property
    def trains(self) -> bool:
        return self.setting != "base"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "arm": self.arm, "id": self.id}


def plan_runs(profile: Profile) -> list[Run]:
    """Every family's base; every (family, fine-tuning setting, seed); and for the ablation
    family, SF²T without each task in turn (plus full SF²T at any ablation seed the main grid
    lacks). Deterministic order, no duplicates."""
    runs: list[Run] = []
    for family in profile.families:
        runs.append(Run(family, "base"))
        for seed in profile.seeds_for(family):
            runs += [Run(family, s, seed) for s in profile.settings if s != "base"]
    family = profile.ablation.get("family")
    if family:
        for seed in profile.ablation.get("seeds", [0]):
            runs.append(Run(family, "sf2t", seed))
            runs += [Run(family, "sf2t", seed, drop_task=t) for t in TASKS]
    seen, unique = set(), []
    for run in runs:
        if run.id not in seen:
            seen.add(run.id)
            unique.append(run)
    return unique
