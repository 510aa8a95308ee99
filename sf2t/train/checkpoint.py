"""Checkpoints: everything a run needs to continue exactly where it stopped.

``run_dir/checkpoints/step-000010/`` holds

- ``model/``: the PEFT adapter (``adapter_config.json`` + ``adapter_model.safetensors``) or the
  full model (``config.json`` + ``model.safetensors``), with the processor: the same folder a
  user loads;
- ``optimizer.pt``, ``scheduler.pt`` (and ``scaler.pt`` under fp16);
- ``rng/rank-<r>.pt``: every global RNG of every process (`sf2t.common.seeding`);
- ``trainer_state.json``: step, position in the data plan, its digest, elapsed time, the loss
  history so far, and the world size.

A checkpoint is written into ``step-XXXXXX.tmp`` and renamed when complete; ``checkpoints/latest``
names the newest complete one, so a run killed while saving resumes from the previous one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from sf2t.common import seeding
from sf2t.train.config import ConfigError

STATE_NAME = "trainer_state.json"
LATEST = "latest"


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' per-save/per-load progress bars inside the training bar."""
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()


def step_name(step: int) -> str:
    return f"step-{step:06d}"


def checkpoints_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / "checkpoints"


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint of a run, or None."""
    pointer = checkpoints_dir(run_dir) / LATEST
    if not pointer.is_file():
        return None
    path = checkpoints_dir(run_dir) / pointer.read_text(encoding="utf-8").strip()
    if not (path / STATE_NAME).is_file():
        raise ConfigError(f"{pointer} names {path.name}, which is not a complete checkpoint")
    return path


def read_state(path: str | Path) -> dict[str, Any]:
    return json.loads((Path(path) / STATE_NAME).read_text(encoding="utf-8"))


def is_sharded(accelerator) -> bool:
    """FSDP and DeepSpeed shard model or optimizer state across processes: their checkpoints go
    through accelerate's own ``save_state``/``load_state`` (a path not exercised on this CPU-only
    project's test machine; DDP and single-process runs use the files described above)."""
    return accelerator.distributed_type.value in ("FSDP", "DEEPSPEED")


def save_model_folder(accelerator, llm, model, path: Path) -> None:
    """The user-facing model folder (adapter or full model + processor), from the main process."""
    if is_sharded(accelerator):
        state_dict = accelerator.get_state_dict(model)  # gathers shards; every process must call it
        if accelerator.is_main_process:
            with quiet_transformers():
                llm.model.save_pretrained(path, state_dict=state_dict, safe_serialization=True)
                llm.processor.save_pretrained(path)
        return
    if accelerator.is_main_process:
        with quiet_transformers():
            llm.save(path)


def save_checkpoint(accelerator, llm, model, optimizer, scheduler, run_dir: Path, state: dict[str, Any], keep):
    """Write a checkpoint from every process (each saves its RNG state; the main process the rest)."""
    final = checkpoints_dir(run_dir) / step_name(state["step"])
    tmp = final.with_name(final.name + ".tmp")
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "rng").mkdir(parents=True)
    accelerator.wait_for_everyone()
    seeding.save_rng_state(tmp / "rng" / f"rank-{accelerator.process_index}.pt")
    save_model_folder(accelerator, llm, model, tmp / "model")
    if is_sharded(accelerator):
        accelerator.save_state(tmp / "accelerate")
    if accelerator.is_main_process:
        if not is_sharded(accelerator):
            torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        if accelerator.scaler is not None:
            torch.save(accelerator.scaler.state_dict(), tmp / "scaler.pt")
        (tmp / STATE_NAME).write_text(json.dumps(state, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        pointer = checkpoints_dir(run_dir) / LATEST
        pointer.with_name(LATEST + ".tmp").write_text(final.name + "\n", encoding="utf-8")
        os.replace(pointer.with_name(LATEST + ".tmp"), pointer)
        if keep is not None:
            _prune(checkpoints_dir(run_dir), keep)
    accelerator.wait_for_everyone()
    return final


def _prune(folder: Path, keep: int) -> None:
    done = sorted(p for p in folder.glob("step-*") if p.is_dir() and not p.name.endswith(".tmp"))
    for old in done[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def load_weights(llm, path: Path) -> None:
    """Put a checkpoint's trained weights into the freshly built model (same architecture).
    (Sharded runs restore weights in `load_training_state`, through accelerate.)"""
    model_dir = path / "model"
    if (model_dir / "adapter_config.json").is_file():
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        result = set_peft_model_state_dict(llm.model, load_file(model_dir / "adapter_model.safetensors"))
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise ConfigError(f"{model_dir}: adapter weights do not fit the model: {unexpected[:5]}")
        return
    with quiet_transformers():
        reference = type(llm.model).from_pretrained(model_dir, dtype=next(llm.model.parameters()).dtype)
    missing, unexpected = llm.model.load_state_dict(reference.state_dict(), strict=False)
    if missing or unexpected:
        raise ConfigError(
            f"{model_dir}: weights do not fit the model (missing {missing[:5]}, unexpected {unexpected[:5]})"
        )


def load_training_state(accelerator, optimizer, scheduler, path: Path, world_size: int) -> dict[str, Any]:
    """Restore optimizer, scheduler, scaler and this process's RNG; return the trainer state."""
    state = read_state(path)
    if state["world_size"] != world_size:
        raise ConfigError(
            f"{path}: written by {state['world_size']} process(es); resume with the same number (now {world_size}) "
            "so every process gets back its own random state and data share"
        )
    if (path / "accelerate").is_dir():
        accelerator.load_state(path / "accelerate")  # sharded model and optimizer state
    else:
        optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(path / "scheduler.pt", weights_only=True))
    if accelerator.scaler is not None and (path / "scaler.pt").is_file():
        accelerator.scaler.load_state_dict(torch.load(path / "scaler.pt", weights_only=True))
    seeding.load_rng_state(path / "rng" / f"rank-{accelerator.process_index}.pt")
    return state
