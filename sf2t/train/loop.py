"""`train(config)`: the one entry point behind the CLI, the notebooks and ``accelerate launch``.

Order of work: validate the config, check every data file (frame ranges included) and the
model/checkpoint folders, claim the run folder (`sf2t.train.run_folder`: a lock, and the folder
removed again if setting up fails), pick the checkpoint to resume (`sf2t.train.resume`), build
the model, then train. So every bad input fails before the first step. The loop runs under
`accelerate` (gradient accumulation, mixed precision, DDP when launched with several processes);
only the main process writes files and shows the progress bar.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sf2t.common import seeding
from sf2t.common.records import portable_path, resolve_portable
from sf2t.common.records import write_text_atomic as write_atomic
from sf2t.models.answer_loss import answer_loss
from sf2t.train import build, checkpoint, data, resume, run_folder
from sf2t.train.config import CONFIG_NAME, ConfigError, TrainConfig
from sf2t.train.curve import LossCurve, json_rows, read_curve
from sf2t.train.evaluator import Evaluator


class TrainingError(RuntimeError):
    """Training stopped (e.g. a non-finite loss); the message names the step and the last good checkpoint."""


@dataclass
class RunResult:
    """What a finished run left behind and how it went."""

    run_dir: Path
    model_dir: Path
    base_dir: str | None
    steps: int
    final_loss: float
    elapsed_s: float
    samples_per_s: float
    curve: list[dict[str, Any]] = field(default_factory=list)
    last_checkpoint: Path | None = None
    resumed_from: int = 0
    skipped_checkpoints: dict[str, str] = field(default_factory=dict)  # damaged checkpoints resume passed over
    trainable: dict[str, int] = field(default_factory=dict)
    distributed: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, relative_to: str | Path | None = None) -> dict[str, Any]:
        """As ``result.json`` records it: folders relative to ``relative_to`` (default the run
        folder), so a committed run names no machine's folders."""
        base = self.run_dir if relative_to is None else relative_to
        local_base = self.base_dir is not None and Path(self.base_dir).exists()  # not a hub id
        return {
            "run_dir": portable_path(self.run_dir, base),
            "model_dir": portable_path(self.model_dir, base),
            "base_dir": portable_path(self.base_dir, base) if local_base else self.base_dir,
            "steps": self.steps,
            "final_loss": self.final_loss,
            "elapsed_s": self.elapsed_s,
            "samples_per_s": self.samples_per_s,
            "last_checkpoint": self.last_checkpoint and portable_path(self.last_checkpoint, base),
            "resumed_from": self.resumed_from,
            "skipped_checkpoints": self.skipped_checkpoints,
            "trainable": self.trainable,
            "distributed": self.distributed,
        }

    @classmethod
    def from_folder(cls, run_dir: str | Path) -> RunResult:
        """A finished run read back from its ``result.json`` and ``loss.json`` (a base stage taken
        from an earlier base, `sf2t.train.earlier_stages`)."""
        run_dir = Path(run_dir)
        saved = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
        folder = {k: saved[k] and Path(resolve_portable(saved[k], run_dir)) for k in ("model_dir", "last_checkpoint")}
        base = saved["base_dir"]
        return cls(
            run_dir=run_dir,
            base_dir=resolve_portable(base, run_dir) if base and base.startswith(".") else base,
            curve=read_curve(run_dir),
            **folder,
            **{k: saved[k] for k in ("steps", "final_loss", "elapsed_s", "samples_per_s", "resumed_from")},
            **{k: saved[k] for k in ("skipped_checkpoints", "trainable", "distributed")},
        )


def lr_lambda(config: TrainConfig) -> Callable[[int], float]:
    """Learning-rate multiplier per optimizer step: linear warm-up, then cosine/linear/constant."""
    warmup, total, floor = config.warmup_steps, config.steps, config.min_lr_ratio

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if config.schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        shape = 0.5 * (1 + math.cos(math.pi * progress)) if config.schedule == "cosine" else 1 - progress
        return floor + (1 - floor) * shape

    return factor


def make_accelerator(config: TrainConfig):
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    precision = config.mixed_precision
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() and not config.cpu else "no"
    if precision == "fp16" and (config.cpu or not torch.cuda.is_available()):
        raise ConfigError("mixed_precision='fp16' needs a CUDA device; use 'bf16' or 'no' on a CPU")
    # Full fine-tuning can leave parameters unused by a batch (e.g. image-only layers on videos).
    ddp = DistributedDataParallelKwargs(find_unused_parameters=config.mode == "full")
    # accelerate keeps one process-wide state; several runs in one process (a notebook: base, then
    # SFT, then SF²T) each bring their own precision and accumulation. The process group (PartialState)
    # is kept, so this is also safe under `accelerate launch`.
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    return Accelerator(
        gradient_accumulation_steps=config.grad_accum,
        mixed_precision=precision,
        cpu=config.cpu,
        kwargs_handlers=[ddp],
    )


def prepare_model(config: TrainConfig, run_dir: Path, is_main: bool = True):
    """Build and adapt the model; for LoRA, make sure the adapter names a loadable base folder
    (the main process saves a tiny base to ``run_dir/base``)."""
    with seeding.seeded(config.seed), checkpoint.quiet_transformers():
        llm = build.base_model(config)
    base_ref: str | None = None
    if config.mode == "lora":
        if config.init is not None and build.folder_kind(config.init) == "model":
            base_ref = str(Path(config.init).resolve())
        elif config.init is not None:
            base_ref = build.adapter_base(config.init)
        elif config.family is not None:
            base_ref = str((run_dir / "base").resolve())
            if is_main and not (run_dir / "base" / "config.json").is_file():
                with checkpoint.quiet_transformers():
                    llm.save(run_dir / "base")
        else:
            base_ref = str(Path(config.model).resolve()) if Path(config.model).exists() else config.model
    seeding.set_seed(config.seed)
    llm = build.make_trainable(llm, config)
    if config.mode == "lora" and base_ref is not None:
        for peft_config in llm.model.peft_config.values():
            peft_config.base_model_name_or_path = base_ref
    return llm, base_ref


def train(config: TrainConfig, callback: Callable[[int, dict[str, Any]], None] | None = None) -> RunResult:
    """Train as ``config`` says; resume from the run's newest intact checkpoint when ``config.resume``.

    ``callback(step, row)`` is called after every optimizer step on every process (for live
    plots; an exception raised there stops the run like a kill would). Every input is checked
    before the run folder is made; the folder is locked for the whole run, so a second run into
    the same ``output_dir`` is refused (`RunFolderBusy`).
    """
    config.validate()
    run_dir = Path(config.output_dir)
    sources = data.load_sources(config.data, "data")
    eval_sources = data.load_sources(config.eval_data, "eval_data") if config.eval_every else []
    build.check_sources(config)

    accelerator = make_accelerator(config)
    world = accelerator.num_processes
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched != world:
        raise ConfigError(
            f"launched as {launched} processes but accelerate set up {world} ({accelerator.distributed_type.value}); "
            "FSDP and DeepSpeed need GPUs. On a CPU use `accelerate launch --multi_gpu --num_processes N` with "
            "cpu: true in the config (DDP over gloo)"
        )
    with run_folder.claimed(run_dir, accelerator.is_main_process) as claim:
        point = resume.resume_point(config, run_dir)  # decided under the lock
        if point.skipped and accelerator.is_main_process:
            for name, problem in point.skipped.items():
                print(f"{run_dir}: skipping damaged checkpoint {name} ({problem})", file=sys.stderr)
            print(f"{run_dir}: resuming from {point.checkpoint.name}", file=sys.stderr)
        return _run(config, accelerator, run_dir, sources, eval_sources, point, claim, callback)


def _run(config, accelerator, run_dir, sources, eval_sources, point, claim, callback) -> RunResult:
    """Build, restore and train, in a claimed run folder."""
    main, world = accelerator.is_main_process, accelerator.num_processes
    llm, base_ref = prepare_model(config, run_dir, main)
    if main:
        config.to_json(run_dir / CONFIG_NAME, relative_to=run_dir)
    accelerator.wait_for_everyone()
    llm.to(accelerator.device)
    llm.model.train()
    trainable = build.trainable_summary(llm)
    params = [p for p in llm.model.parameters() if p.requires_grad]
    # the fused kernel: a full mini step 0.95-0.99x as long as with foreach (results/perf/train.json, step_profile)
    fused = all(p.device.type in ("cpu", "cuda") for p in params)
    optimizer = torch.optim.AdamW(
        params, lr=config.lr, weight_decay=config.weight_decay, betas=(0.9, config.adam_beta2), fused=fused
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(config))
    # The scheduler is stepped by hand once per optimizer step, whatever the number of processes.
    model, optimizer = accelerator.prepare(llm.model, optimizer)

    num_micro = config.steps * config.grad_accum
    plan = data.mixture_plan(sources, num_micro, config.batch_size * world, config.seed)
    digest = data.plan_digest(plan)
    start_step, elapsed0, rows = 0, 0.0, []
    resume_from = point.checkpoint
    if resume_from is not None:
        if not (resume_from / "accelerate").is_dir():
            checkpoint.load_weights(llm, resume_from)
        state = checkpoint.load_training_state(accelerator, optimizer, scheduler, resume_from, world)
        if state["plan_digest"] != digest:
            raise ConfigError(f"{resume_from}: the data plan differs from this run's (data files changed?)")
        start_step, elapsed0, rows = state["step"], state["elapsed_s"], state["curve"]
    else:
        seeding.set_seed(config.seed + accelerator.process_index)

    dataset = data.MicroBatches(
        plan, sources, llm, accelerator.process_index, config.batch_size, config.frame_cache_mb, data.SAMPLE_CACHE_MB
    )
    loader = data.batch_loader(dataset, start_step * config.grad_accum, config.num_workers, config.seed)
    evaluator = Evaluator(eval_sources, llm, config, accelerator) if eval_sources else None
    claim.start()  # from here a failure keeps the folder: it holds the curve and any checkpoint
    curve = LossCurve(run_dir, rows, write=main)
    loop = _Loop(config, accelerator, llm, model, optimizer, scheduler, curve, run_dir, digest, base_ref)
    loop.last_checkpoint = resume_from
    try:
        last = loop.run(loader, start_step, elapsed0, evaluator, callback)
    finally:
        curve.close()
    model_dir = run_dir / "final"
    if main:
        if model_dir.exists():
            shutil.rmtree(model_dir)
        shutil.copytree(last / "model", model_dir)
        if config.mode == "lora" and base_ref is not None:
            checkpoint.point_adapter_at(model_dir, base_ref)  # a moved run's last checkpoint names the old base
    accelerator.wait_for_everyone()
    steps_rows = [r for r in curve.rows if r["loss"] is not None]
    result = RunResult(
        run_dir=run_dir,
        model_dir=model_dir,
        base_dir=base_ref,
        steps=config.steps,
        final_loss=steps_rows[-1]["loss"] if steps_rows else math.nan,
        elapsed_s=loop.elapsed,
        samples_per_s=loop.samples_seen / max(loop.elapsed - elapsed0, 1e-9),
        curve=curve.rows,
        last_checkpoint=last,
        resumed_from=start_step,
        skipped_checkpoints=point.skipped,
        trainable=trainable,
        distributed=_distributed_info(accelerator),
    )
    if main:
        write_atomic(run_dir / "result.json", json.dumps(result.to_dict(), indent=1) + "\n")
    return result


def _distributed_info(accelerator) -> dict[str, Any]:
    backend = None
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        backend = torch.distributed.get_backend()
    return {
        "type": str(accelerator.distributed_type.value),
        "num_processes": accelerator.num_processes,
        "backend": backend,
        "device": str(accelerator.device),
        "mixed_precision": accelerator.mixed_precision,
    }


class _Loop:
    """The optimizer-step loop; holds what the checkpoints need."""

    def __init__(self, config, accelerator, llm, model, optimizer, scheduler, curve, run_dir, digest, base_ref):
        self.config, self.accelerator, self.llm, self.model = config, accelerator, llm, model
        self.optimizer, self.scheduler, self.curve, self.run_dir = optimizer, scheduler, curve, run_dir
        self.digest, self.base_ref = digest, base_ref
        self.samples_per_step = config.batch_size * config.grad_accum * accelerator.num_processes
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.elapsed = 0.0
        self.samples_seen = 0
        self.last_checkpoint: Path | None = None

    def run(self, loader, start_step, elapsed0, evaluator, callback) -> Path:
        from tqdm import tqdm  # text bars in a kernel too (tqdm.auto wants ipywidgets, else warns)

        cfg, acc = self.config, self.accelerator
        batches = iter(loader)
        bar = tqdm(
            total=cfg.steps,
            initial=start_step,
            desc="train",
            unit="step",
            dynamic_ncols=True,
            disable=not (cfg.progress and acc.is_main_process),
        )
        t_start = time.perf_counter() - elapsed0
        self.elapsed = elapsed0
        try:
            for step in range(start_step + 1, cfg.steps + 1):
                t0 = time.perf_counter()
                lr = self.scheduler.get_last_lr()[0]
                loss = self._step(batches)
                if not math.isfinite(loss):
                    self._fail(step, loss, lr, t_start)
                dt = time.perf_counter() - t0
                self.samples_seen += self.samples_per_step
                self.elapsed = time.perf_counter() - t_start
                row = {
                    "step": step,
                    "loss": loss,
                    "lr": lr,
                    "samples_per_s": self.samples_per_step / dt,
                    "elapsed_s": self.elapsed,
                }
                if evaluator is not None and (step % cfg.eval_every == 0 or step == cfg.steps):
                    row["eval_loss"] = evaluator.loss(self.model)
                self.curve.append(row)
                if step % cfg.log_every == 0 or step == cfg.steps:
                    bar.set_postfix(loss=f"{loss:.4f}", samples_s=f"{row['samples_per_s']:.1f}", refresh=False)
                bar.update(1)
                if (cfg.checkpoint_every and step % cfg.checkpoint_every == 0) or step == cfg.steps:
                    self.save(step)
                if callback is not None:
                    callback(step, row)
        finally:
            bar.close()
        return self.last_checkpoint

    def _step(self, batches) -> float:
        """One optimizer step: ``grad_accum`` micro-batches, each one or more token-weighted groups.

        Gradients are synchronised across processes once per step, on each process's last
        backward (every process runs exactly one synchronised backward, whatever its group count).
        """
        acc, cfg, total = self.accelerator, self.config, None
        for micro in range(cfg.grad_accum):
            groups = next(batches)
            for j, group in enumerate(groups):
                last = micro == cfg.grad_accum - 1 and j == len(groups) - 1
                with contextlib.nullcontext() if last else acc.no_sync(self.model):
                    loss = answer_loss(self.model, self.llm.to_device(group.batch))
                    acc.backward(loss * group.weight)  # accelerate divides by grad_accum
                part = loss.detach() * group.weight
                total = part if total is None else total + part
        mean = total / cfg.grad_accum
        if acc.num_processes > 1:
            mean = acc.reduce(mean, reduction="mean")
        value = float(mean)
        if math.isfinite(value):
            if cfg.max_grad_norm is not None:
                acc.clip_grad_norm_(self.params, cfg.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return value

    def save(self, step: int) -> None:
        self.curve.save_json()
        state = {
            "step": step,
            "micro_batch": step * self.config.grad_accum,
            "plan_digest": self.digest,
            "elapsed_s": self.elapsed,
            "world_size": self.accelerator.num_processes,
            "base_model": self.base_ref,
            "curve": json_rows(self.curve.rows),
        }
        self.last_checkpoint = checkpoint.save_checkpoint(
            self.accelerator,
            self.llm,
            self.model,
            self.optimizer,
            self.scheduler,
            self.run_dir,
            state,
            self.config.keep_checkpoints,
        )

    def _fail(self, step: int, loss: float, lr: float, t_start: float) -> None:
        self.curve.append({"step": step, "loss": loss, "lr": lr, "elapsed_s": time.perf_counter() - t_start})
        kept = f"the last good checkpoint is {self.last_checkpoint}" if self.last_checkpoint else "no checkpoint yet"
        raise TrainingError(
            f"non-finite loss ({loss}) at step {step} of {self.run_dir}; training stopped before updating the "
            f"weights, {kept}. Try a lower lr, max_grad_norm, or mixed_precision='no'."
        )
