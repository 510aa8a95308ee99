"""The paper's experiment on the synthetic world: families × {base, SFT, SF²T, SFT+SF²T} × seeds
on FineVidBench-mini, the leave-one-task-out ablation, and the frame-count and playback-speed
curves.

A profile (`profiles`: one JSON file per scale under ``configs/experiment/``) holds every choice;
`plan` lists its runs; `runner.run_experiment` runs its stages in order, each in its own module:
`worlds` → `benchmark` → `bases` (with the competence gate, `competence`) → `data` (SFT records,
SF²T samples) → `leakage` → `runs` (fine-tune, evaluate) → `stats` (the summary every table is
made from). The experiment is the top of the pipeline: it may import every other subpackage
except `sf2t.report`, which reads only the results files it writes.
"""

from sf2t.experiment.bases import CompetenceError
from sf2t.experiment.paths import Paths
from sf2t.experiment.plan import Run, plan_runs
from sf2t.experiment.profiles import SETTINGS, TASKS, Profile, ProfileError, load_profile
from sf2t.experiment.runner import run_experiment

__all__ = [
    "SETTINGS",
    "TASKS",
    "CompetenceError",
    "Paths",
    "Profile",
    "ProfileError",
    "Run",
    "load_profile",
    "plan_runs",
    "run_experiment",
]
