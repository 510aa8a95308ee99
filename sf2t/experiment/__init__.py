"""The paper's experiment on the synthetic world: families × {base, SFT, SF²T, SFT+SF²T} × seeds
on FineVidBench-mini, the leave-one-task-out ablation, and the frame-count and playback-speed
curves. `profiles` holds every choice (one JSON file per scale under ``configs/experiment/``),
`plan` lists the runs, `data` makes and checks the training data, `runner` runs the cached
stages, `stats` turns item records into the tables' numbers."""

from sf2t.experiment.plan import Run, plan_runs
from sf2t.experiment.profiles import SETTINGS, TASKS, Profile, ProfileError, load_profile

__all__ = ["SETTINGS", "TASKS", "Profile", "ProfileError", "Run", "load_profile", "plan_runs"]
