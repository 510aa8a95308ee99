"""Where a run continues: the newest intact checkpoint of its folder, for the same configuration.

A checkpoint is intact when every file resuming reads is there and readable (model weights as
safetensors, optimizer, scheduler, each process's RNG state, the scaler under fp16) and its
``trainer_state.json`` has every field, agrees with the folder's name and fits the run. A
damaged checkpoint is skipped with the reason, naming the file; the run resumes from the newest
intact one before it (`ResumePoint.skipped` says which were passed over, and `train` prints it).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from sf2t.train import checkpoint
from sf2t.train.checkpoint import STATE_NAME, CorruptCheckpoint
from sf2t.train.config import CONFIG_NAME, ConfigError, TrainConfig
from sf2t.train.config_paths import map_paths

#: Fields that may differ between a run and its resumption (they do not change the result).
RESUME_FREE_FIELDS = ("resume", "progress", "num_workers", "frame_cache_mb", "output_dir", "keep_checkpoints")
#: What ``trainer_state.json`` must hold, and of which type.
STATE_FIELDS = {
    "step": int,
    "micro_batch": int,
    "plan_digest": str,
    "elapsed_s": (int, float),
    "world_size": int,
    "curve": list,
}


@dataclass
class ResumePoint:
    """The checkpoint to continue from (None: start at step 0) and the damaged ones passed over."""

    checkpoint: Path | None = None
    skipped: dict[str, str] = field(default_factory=dict)


def resume_point(config: TrainConfig, run_dir: Path) -> ResumePoint:
    """Where ``config``'s run continues in ``run_dir``, after checking the folder belongs to it.

    Without ``resume`` a folder holding checkpoints is refused (no silent overwrite); with it,
    the saved config must match and the newest intact checkpoint is taken. If every checkpoint
    is damaged, a `CorruptCheckpoint` lists them all rather than starting over.
    """
    found = checkpoint.step_folders(run_dir)
    if not config.resume:
        if found:
            raise ConfigError(
                f"{run_dir} already holds checkpoints (latest {found[-1].name}); set resume=True to continue it "
                "or choose another output_dir"
            )
        return ResumePoint()
    if not found:
        return ResumePoint()
    _check_same_config(config, run_dir)
    skipped: dict[str, str] = {}
    for path in reversed(found):
        problem = checkpoint_problem(path, config)
        if problem is None:
            return ResumePoint(path, skipped)
        skipped[path.name] = problem
    listed = "; ".join(f"{name}: {why}" for name, why in skipped.items())
    raise CorruptCheckpoint(
        f"{run_dir}: no intact checkpoint to resume from ({listed}); remove {checkpoint.checkpoints_dir(run_dir)} "
        "to start the run again"
    )


def _check_same_config(config: TrainConfig, run_dir: Path) -> None:
    saved = map_paths(TrainConfig.from_file(run_dir).to_dict(), os.path.abspath, os.path.exists)
    now = map_paths(config.to_dict(), os.path.abspath, os.path.exists)  # relative to the cwd, or absolute
    changed = [k for k in now if k not in RESUME_FREE_FIELDS and now[k] != saved.get(k)]
    if changed:
        details = "; ".join(f"{k}: {saved.get(k)!r} -> {now[k]!r}" for k in changed[:5])
        raise ConfigError(
            f"{run_dir / CONFIG_NAME} does not match this configuration ({details}); resume with the saved config"
        )


def checkpoint_problem(path: Path, config: TrainConfig) -> str | None:
    """The first reason ``path`` cannot restore ``config``'s run, naming the file; None if intact."""
    state, problem = _state(path, config)
    if problem is not None:
        return problem
    files = [path / "scheduler.pt"] + [path / "rng" / f"rank-{r}.pt" for r in range(state["world_size"])]
    if config.mixed_precision == "fp16":
        files.append(path / "scaler.pt")
    if not (path / "accelerate").is_dir():  # sharded runs keep model and optimizer in accelerate's layout
        problem = _model_problem(path / "model", config.mode)
        if problem is not None:
            return problem
        files.insert(0, path / "optimizer.pt")
    for file in files:
        problem = _torch_file_problem(file)
        if problem is not None:
            return problem
    return None


def _state(path: Path, config: TrainConfig) -> tuple[dict, str | None]:
    from sf2t.models.loading import read_json

    file = path / STATE_NAME
    if not file.is_file():
        return {}, f"{file} is missing"
    try:
        state = read_json(file, "trainer state")
    except ValueError as exc:
        return {}, str(exc)
    if not isinstance(state, dict):
        return {}, f"{file}: expected a JSON object"
    for key, kind in STATE_FIELDS.items():
        if key not in state:
            return state, f"{file}: no {key!r}"
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            return state, f"{file}: {key!r} has the wrong type ({state[key]!r})"
    step = state["step"]
    if step != checkpoint.step_of(path):
        return state, f"{file}: claims step {step}, but the folder is {path.name}"
    if not 1 <= step <= config.steps:
        return state, f"{file}: step {step} is outside this run's 1..{config.steps}"
    if state["micro_batch"] != step * config.grad_accum:
        return state, f"{file}: micro_batch {state['micro_batch']} does not fit step {step} x grad_accum"
    if state["world_size"] < 1 or not math.isfinite(state["elapsed_s"]) or state["elapsed_s"] < 0:
        return state, f"{file}: world_size or elapsed_s out of range"
    if len(state["curve"]) != step:
        return state, f"{file}: the loss curve has {len(state['curve'])} rows for step {step}"
    return state, None


def _model_problem(model_dir: Path, mode: str) -> str | None:
    """The saved model folder: an intact adapter (LoRA) or full model weights as safetensors."""
    from sf2t.models.loading import check_adapter_folder, check_safetensors

    try:
        if mode == "lora":
            check_adapter_folder(model_dir)
            return None
        if not model_dir.is_dir():
            return f"{model_dir} is missing"
        if not (model_dir / "config.json").is_file():
            return f"{model_dir}: no config.json"
        shards = _safetensors_files(model_dir)
        if not shards:
            pickled = sorted(p.name for p in model_dir.glob("pytorch_model*.bin"))
            if pickled:
                return (
                    f"{model_dir}: holds only pickle weights ({', '.join(pickled)}); resuming a full-mode run "
                    "needs safetensors (model.safetensors)"
                )
            return f"{model_dir}: no model weights (model.safetensors is missing)"
        for shard in shards:
            check_safetensors(shard)
    except (OSError, ValueError) as exc:
        return str(exc)
    return None


def _safetensors_files(model_dir: Path) -> list[Path]:
    from sf2t.models.loading import read_json

    single = model_dir / "model.safetensors"
    if single.is_file():
        return [single]
    index = model_dir / "model.safetensors.index.json"
    if not index.is_file():
        return []
    content = read_json(index, "safetensors index")
    weight_map = content.get("weight_map") if isinstance(content, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise ValueError(f"{index}: no weight_map")
    return [model_dir / str(name) for name in sorted(set(map(str, weight_map.values())))]


def _torch_file_problem(file: Path) -> str | None:
    """A ``torch.save`` file that is missing or does not load (memory-mapped: nothing is copied)."""
    if not file.is_file():
        return f"{file} is missing"
    try:
        torch.load(file, weights_only=True, mmap=True, map_location="cpu")
    except Exception as exc:  # truncated zip, bad pickle, unsupported type: all mean a damaged file
        text = " ".join(str(exc).split())[:200] or type(exc).__name__
        return f"{file}: unreadable ({text})"
    return None
