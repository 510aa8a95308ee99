"""Training for every stage of the experiment: base (coarse captions), SFT, SF²T and SFT+SF²T.

One `TrainConfig` describes a run; `train(config)` runs it (single process, or one process per
device under ``accelerate launch -m sf2t.train --config FILE``). `pretrain_base` and `finetune`
are the experiment's stages built on it. The subcommand ``sf2t train --config FILE [--set k=v]``
calls the same function. Training reads records files and knows nothing of where they came from:
it imports `sf2t.common`, `sf2t.video` (a record's frames) and `sf2t.models`, never the world,
the tasks, the benchmark or evaluation.
"""

from sf2t.train.build import CheckpointMismatch
from sf2t.train.checkpoint import CorruptCheckpoint
from sf2t.train.cli import add_arguments, main, run_cli
from sf2t.train.config import ConfigError, DataSource, TrainConfig
from sf2t.train.data import DataError, mixture_plan
from sf2t.train.loop import RunResult, TrainingError, train
from sf2t.train.run_folder import RunFolderBusy
from sf2t.train.stages import BaseResult, finetune, pretrain_base

__all__ = [
    "BaseResult",
    "CheckpointMismatch",
    "ConfigError",
    "CorruptCheckpoint",
    "DataError",
    "DataSource",
    "RunFolderBusy",
    "RunResult",
    "TrainConfig",
    "TrainingError",
    "add_arguments",
    "finetune",
    "main",
    "mixture_plan",
    "pretrain_base",
    "run_cli",
    "train",
]
