"""The experiment's two kinds of training run, built on `train`, with no knowledge of where
their data came from (records files reach them like any other data):

- `pretrain_base`: a tiny random model trained in full (vision tower included) through a
  curriculum of stages, each on its own records (the experiment feeds it coarse captions of the
  synthetic world), becomes the "pretrained" base.
- `finetune`: SFT, SF²T or SFT+SF²T on top of a base folder (LoRA by default): the data
  mixture decides which.

The base recipe (model size, schedule, curriculum) is an open research knob: every part is a
parameter here and nothing is tuned in code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sf2t.common.records import portable_path
from sf2t.train import earlier_stages
from sf2t.train.config import DataSource, TrainConfig
from sf2t.train.loop import RunResult, train


@dataclass
class BaseResult:
    """A trained base model and its learning curve (the stages' curves joined)."""

    model_dir: Path
    runs: list[RunResult]
    curve: list[dict[str, Any]] = field(default_factory=list)
    stages_from_earlier: int = 0  # leading stages copied from an earlier base (`pretrain_base`'s ``earlier``)

    def to_dict(self, relative_to: str | Path) -> dict[str, Any]:
        """As ``base_result.json`` records it: folders relative to ``relative_to`` (its folder)."""
        return {
            "model_dir": portable_path(self.model_dir, relative_to),
            "runs": [r.to_dict(relative_to) for r in self.runs],
            **({"stages_from_earlier": self.stages_from_earlier} if self.stages_from_earlier else {}),
        }


def pretrain_base(
    family: str,
    stages: Sequence[dict[str, Any]],
    out_dir: str | Path,
    *,
    model_size: dict[str, Any] | None = None,
    steps: int = 300,
    batch_size: int = 8,
    lr: float = 1e-3,
    warmup_steps: int = 20,
    schedule: str = "cosine",
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = True,
    earlier: str | Path | None = None,
    **train_overrides: Any,
) -> BaseResult:
    """Train a tiny ``family`` model through ``stages``, in full, into ``out_dir/stage-N``.

    Each stage is a dict with ``data`` (the records to train on: `DataSource`\\ s or their
    dicts) plus any `TrainConfig` overrides for that stage (``steps``, ``lr``, ...); every stage
    continues from the previous stage's weights. Every stage's config is checked before any
    training. ``earlier``: the folder of a base trained before on this curriculum's first stages
    (the recipe since extended): the stages it trained the same way are copied from it, not
    trained again (`sf2t.train.earlier_stages`). Writes ``out_dir/base_result.json``.
    """
    out_dir = Path(out_dir)
    if not stages:
        raise ValueError("pretrain_base needs at least one stage")
    if earlier is not None and Path(earlier).resolve() == out_dir.resolve():
        raise ValueError(f"{out_dir}: the earlier base must be another folder than the one trained into")
    configs = []
    for number, stage in enumerate(stages):
        values = {
            "output_dir": str(out_dir / f"stage-{number}"),
            "model": f"tiny:{family}",
            "model_size": dict(model_size or {}),
            "init": None if number == 0 else str(out_dir / f"stage-{number - 1}" / "final"),
            "mode": "full",
            "train_vision": True,
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "warmup_steps": warmup_steps,
            "schedule": schedule,
            "weight_decay": weight_decay,
            "seed": seed,
            "progress": progress,
            **train_overrides,
            **stage,
        }
        configs.append(_config(values))
    reused = earlier_stages.reusable_stages(configs, earlier) if earlier is not None else 0
    runs: list[RunResult] = []
    curve: list[dict[str, Any]] = []
    for number, config in enumerate(configs):
        result = earlier_stages.take_stage(earlier, number, out_dir) if number < reused else train(config)
        offset = curve[-1]["step"] if curve else 0
        curve += [{**row, "stage": number, "step": row["step"] + offset} for row in result.curve]
        runs.append(result)
    result = BaseResult(model_dir=runs[-1].model_dir, runs=runs, curve=curve, stages_from_earlier=reused)
    (out_dir / "base_result.json").write_text(json.dumps(result.to_dict(out_dir), indent=1) + "\n", encoding="utf-8")
    return result


def finetune(
    base_dir: str | Path,
    data: Sequence[DataSource | dict[str, Any] | str],
    out_dir: str | Path,
    mode: str = "lora",
    **overrides: Any,
) -> RunResult:
    """Fine-tune the model in ``base_dir`` on ``data`` (SFT records, SF²T samples, or both with
    ratios: that choice is the experiment's SFT / SF²T / SFT+SF²T arm)."""
    values = {"model": str(base_dir), "data": list(data), "output_dir": str(out_dir), "mode": mode, **overrides}
    return train(_config(values))


def _config(values: dict[str, Any]) -> TrainConfig:
    return TrainConfig.from_dict(values, where="stage").validate()
