"""The recipe through the library's own experiment pipeline (worlds, base competence, SF²T data, fine-tune,
FineVidBench-mini and held-out task evaluation), for a profile in profiles/: does `sf2t.experiment` reproduce
what the study's own trainer measured?

Run from the repository root: PYTHONPATH=. python research/frame_order/library_run.py order_llavaov
Results go to research/frame_order/library/<profile> (the experiment's results folder; cache not committed)."""

import sys
from pathlib import Path

import torch

from sf2t.experiment import load_profile, run_experiment

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    name = sys.argv[1]
    profile = load_profile(HERE / "profiles" / f"{name}.json")
    torch.set_num_threads(profile.torch_threads)
    run_experiment(profile, HERE / "library" / name)
