"""Checkpoints: everything a run needs to continue exactly where it stopped.

``run_dir/checkpoints/step-000010/`` holds

- ``model/``: the PEFT adapter (``adapter_config.json`` + ``adapter_model.safetensors``) or the
  full model (``config.json`` + ``model.safetensors``), with the processor: the same folder a
  user loads;
- ``optimizer.pt``, ``scheduler.pt`` (and ``scaler.pt`` under fp16);
- ``rng/rank-<r>.pt``: every global RNG of every process (`sf2t.common.seeding`);
- ``trainer_state.json``: step, position in the data plan, its digest, elapsed time, the loss
  history so far, and the world size.

A checkpoint is written into ``step-XXXXXX.tmp`` and renamed when complete (the run folder's lock
makes that name safe: one writer, and every process of a distributed run agrees on it);
``checkpoints/latest`` names the newest complete one for people. Resuming does not trust it: it
takes the newest checkpoint that passes `sf2t.train.resume`'s checks, so a run killed while
saving, or a damaged checkpoint, resumes from the one before.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from sf2t.common import seeding
from sf2t.common.records import write_text_atomic as write_atomic
from sf2t.train.config import ConfigError

STATE_NAME = "trainer_state.json"
LATEST = "latest"
STEP_NAME = re.compile(r"step-(\d{6,})")


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


class CorruptCheckpoint(ConfigError):
    """A checkpoint whose files cannot restore the run; the message names the file."""


def step_of(path: Path) -> int | None:
    """The step in a checkpoint folder's name (``step-000010`` -> 10), or None."""
    match = STEP_NAME.fullmatch(path.name)
    return int(match.group(1)) if match else None


def step_folders(run_dir: str | Path) -> list[Path]:
    """A run's checkpoint folders (renamed into place, so written completely), oldest first."""
    folder = checkpoints_dir(run_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and step_of(p) is not None]
    return sorted(found, key=step_of)


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest checkpoint folder of a run, or None (`sf2t.train.resume` checks it is intact)."""
    found = step_folders(run_dir)
    return found[-1] if found else None


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
        write_atomic(checkpoints_dir(run_dir) / LATEST, final.name + "\n")
        if keep is not None:
            _prune(run_dir, keep, state["step"])
    accelerator.wait_for_everyone()
    return final


def _prune(run_dir: Path, keep: int, step: int) -> None:
    """Keep the newest ``keep`` checkpoints up to ``step`` (later ones can only be damaged
    leftovers a resumed run skipped; they are not counted and go when their step is saved again)."""
    done = [p for p in step_folders(run_dir) if step_of(p) <= step]
    for old in done[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def load_weights(llm, path: Path) -> None:
    """Put a checkpoint's trained weights into the freshly built model (same architecture).
    (Sharded runs restore weights in `load_training_state`, through accelerate.)"""
    model_dir = path / "model"
    if (model_dir / "adapter_config.json").is_file():
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        weights = model_dir / "adapter_model.safetensors"
        with _naming(weights):
            result = set_peft_model_state_dict(llm.model, load_file(weights))
        unexpected = getattr(result, "unexpected_keys", [])
        if unexpected:
            raise ConfigError(f"{model_dir}: adapter weights do not fit the model: {unexpected[:5]}")
        return
    with quiet_transformers(), _naming(model_dir):
        reference = type(llm.model).from_pretrained(
            model_dir, dtype=next(llm.model.parameters()).dtype, use_safetensors=True
        )
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
        with _naming(path / "accelerate"):
            accelerator.load_state(path / "accelerate")  # sharded model and optimizer state
    else:
        with _naming(path / "optimizer.pt"):
            optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=True))
    with _naming(path / "scheduler.pt"):
        scheduler.load_state_dict(torch.load(path / "scheduler.pt", weights_only=True))
    if accelerator.scaler is not None:
        with _naming(path / "scaler.pt"):
            accelerator.scaler.load_state_dict(torch.load(path / "scaler.pt", weights_only=True))
    rng = path / "rng" / f"rank-{accelerator.process_index}.pt"
    with _naming(rng):
        seeding.load_rng_state(rng)
    return state


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Turn a failure to read a checkpoint file into a `CorruptCheckpoint` naming it."""
    try:
        yield
    except ConfigError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise CorruptCheckpoint(f"{path}: cannot be restored ({text})") from exc


def point_adapter_at(model_dir: Path, base_ref: str) -> None:
    """Make a saved adapter name ``base_ref`` as its base (PEFT's ``base_model_name_or_path``)."""
    config_file = model_dir / "adapter_config.json"
    if not config_file.is_file():
        return
    adapter_config = json.loads(config_file.read_text(encoding="utf-8"))
    if adapter_config.get("base_model_name_or_path") != base_ref:
        adapter_config["base_model_name_or_path"] = base_ref
        write_atomic(config_file, json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
