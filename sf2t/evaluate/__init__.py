"""Scoring Video-LLMs on FineVidBench, the pipeline's evaluate stage: letter scoring (default),
cloze scoring of the options' own words (for small models; `formulations`), or generation plus
one tested answer extractor, circular evaluation, baselines (random,
majority letter, blind), per-item records written as they are made, resume, and an aggregate
with bootstrap confidence intervals. `items` puts an item to a model, `prepare` sets aside
the items that cannot be asked (named in the aggregate's ``skipped``) and makes the frames of
the rest, `scoring` turns a model's answers into per-item records, `runner` runs and resumes
an evaluation (one writer per folder: `lock`), `baselines` and `aggregation` summarise it,
`cli` loads models and is the ``sf2t evaluate`` command. It
may import `sf2t.common`, `sf2t.video`, `sf2t.bench` (the loader only, never
`sf2t.bench.build` or `sf2t.bench.export`) and, lazily, `sf2t.models`; never `sf2t.train`,
`sf2t.world` or `sf2t.tasks`.
"""

from __future__ import annotations

from sf2t.bench import CATEGORIES
from sf2t.common.answers import extract_letter
from sf2t.evaluate.aggregation import aggregate, bootstrap_ci, summary_rows
from sf2t.evaluate.baselines import majority_baseline, majority_letters, random_baseline
from sf2t.evaluate.cli import add_arguments, load_model, run_cli
from sf2t.evaluate.formulations import FORMULATIONS, NORMALIZATIONS, choice, choice_letter, formulation_accuracy
from sf2t.evaluate.items import item_prompt, rotate_item
from sf2t.evaluate.lock import OutputFolderBusy
from sf2t.evaluate.runner import (
    AGGREGATE_FILE,
    BLIND_DIR,
    CONFIG_FILE,
    ITEMS_FILE,
    MODES,
    RUN_IDENTITY,
    evaluate,
    items_sha256,
    pool_plan,
    read_done,
    run_items,
)
from sf2t.video.transforms import ClipFrames

__all__ = [
    "FORMULATIONS",
    "NORMALIZATIONS",
    "choice",
    "choice_letter",
    "formulation_accuracy",
    "AGGREGATE_FILE",
    "BLIND_DIR",
    "CATEGORIES",
    "CONFIG_FILE",
    "ITEMS_FILE",
    "MODES",
    "RUN_IDENTITY",
    "ClipFrames",
    "OutputFolderBusy",
    "add_arguments",
    "aggregate",
    "bootstrap_ci",
    "evaluate",
    "extract_letter",
    "item_prompt",
    "items_sha256",
    "load_model",
    "majority_baseline",
    "majority_letters",
    "pool_plan",
    "random_baseline",
    "read_done",
    "rotate_item",
    "run_cli",
    "run_items",
    "summary_rows",
]
