"""The experiment's training stages, built on `train`.

- `pretrain_base`: a tiny random model learns coarse captions of the synthetic world (full
  fine-tuning, vision tower included) and becomes the "pretrained" base; its competence is
  measured on held-out labelled-split videos, so a weak base is visible, not assumed away.
- `finetune`: SFT, SF²T or SFT+SF²T on top of a base folder (LoRA by default): the data
  mixture decides which.

The base recipe (model size, schedule, curriculum, world difficulty) is an open research knob:
every part is a parameter here and nothing is tuned in code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sf2t.common.records import write_jsonl
from sf2t.train.config import ConfigError, DataSource, TrainConfig
from sf2t.train.loop import RunResult, train


@dataclass
class BaseResult:
    """A trained base model, its learning curves and its measured competence."""

    model_dir: Path
    runs: list[RunResult]
    competence: dict[str, dict[str, float]]
    curve: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_dir": str(self.model_dir),
            "runs": [r.to_dict() for r in self.runs],
            "competence": self.competence,
        }


def pretrain_base(
    family: str,
    world_dir: str | Path,
    out_dir: str | Path,
    heldout_dir: str | Path | None = None,
    *,
    curriculum: Sequence[dict[str, Any]] | None = None,
    kinds: Sequence[str] = ("object", "happening"),
    steps: int = 300,
    model_size: dict[str, Any] | None = None,
    num_frames: int = 8,
    batch_size: int = 8,
    lr: float = 1e-3,
    warmup_steps: int = 20,
    schedule: str = "cosine",
    weight_decay: float = 0.0,
    seed: int = 0,
    heldout_limit: int | None = 200,
    balance: bool = False,
    progress: bool = True,
    **train_overrides: Any,
) -> BaseResult:
    """Train a tiny ``family`` model on coarse captions of ``world_dir`` (a ``sf2t synth`` folder).

    ``curriculum`` is a list of stages, each a dict of `TrainConfig` overrides plus optional
    ``kinds`` (question kinds for that stage); every stage continues from the previous stage's
    weights. Without it, one stage of ``steps`` steps on ``kinds``. ``balance`` repeats videos so
    every coarse action group is equally frequent (`sf2t.world.captions.balance_coarse`). Competence
    is the letter-scoring accuracy per question kind on ``heldout_dir`` (labelled-split videos;
    skipped when None).
    """
    from sf2t.world import load_truth
    from sf2t.world.captions import caption_records

    out_dir = Path(out_dir)
    truths = load_truth(world_dir)
    if any(t["split"] == "bench" for t in truths):
        raise ConfigError(f"{world_dir}: holds benchmark-split videos; the base stage must never train on them")
    heldout = None
    if heldout_dir is not None:  # checked before any training
        heldout = load_truth(heldout_dir)
        if any(t["split"] != "labelled" for t in heldout):
            raise ConfigError(f"{heldout_dir}: competence is measured on labelled-split videos only")
        heldout = heldout[:heldout_limit] if heldout_limit else heldout
    stages = list(curriculum) if curriculum else [{"kinds": list(kinds), "steps": steps}]
    configs, all_kinds = [], []
    for number, stage in enumerate(stages):  # every stage's config is checked before any training
        stage = dict(stage)
        stage_kinds = list(stage.pop("kinds", kinds))
        all_kinds += [k for k in stage_kinds if k not in all_kinds]
        records = caption_records(
            truths, kinds=stage_kinds, num_frames=num_frames, seed=seed + number, balance=stage.pop("balance", balance)
        )
        data_path = out_dir / "captions" / f"stage-{number}.jsonl"
        write_jsonl(data_path, records)
        values = {
            "data": [DataSource(path=str(data_path), root=str(world_dir), name=f"captions-{number}")],
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
    runs: list[RunResult] = []
    curve: list[dict[str, Any]] = []
    for number, config in enumerate(configs):
        result = train(config)
        offset = curve[-1]["step"] if curve else 0
        curve += [{**row, "stage": number, "step": row["step"] + offset} for row in result.curve]
        runs.append(result)
    final = runs[-1].model_dir
    competence: dict[str, dict[str, float]] = {}
    if heldout is not None:
        records = caption_records(heldout, kinds=all_kinds, num_frames=num_frames, seed=seed + 10_000)
        competence = measure_competence(final, records, heldout_dir, batch_size=batch_size)
    result = BaseResult(model_dir=final, runs=runs, competence=competence, curve=curve)
    (out_dir / "base_result.json").write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")
    return result


def measure_competence(
    model_dir, records: Sequence[dict[str, Any]], root, batch_size: int = 8, adapter=None
) -> dict[str, dict[str, float]]:
    """Letter-scoring accuracy per ``task`` of multiple-choice records, with chance level and count."""
    from sf2t.models.loading import load
    from sf2t.train.data import prompt_of
    from sf2t.video.transforms import materialize

    llm = load(model_dir, adapter=adapter)
    correct: dict[str, list[bool]] = {}
    chance: dict[str, list[float]] = {}
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        frames = [materialize(r, root) for r in chunk]
        letters = [[chr(ord("A") + k) for k in range(len(r["options"]))] for r in chunk]
        scores = llm.letter_scores_batch(
            frames, [prompt_of(r) for r in chunk], letters, numbered=[bool(r.get("numbered")) for r in chunk]
        )
        for rec, options, score in zip(chunk, letters, scores, strict=True):
            kind = rec.get("task", "all")
            correct.setdefault(kind, []).append(options[int(np.argmax(score))] == rec["answer"])
            chance.setdefault(kind, []).append(1 / len(options))
    return {
        kind: {"accuracy": float(np.mean(v)), "chance": float(np.mean(chance[kind])), "n": len(v)}
        for kind, v in correct.items()
    }


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
