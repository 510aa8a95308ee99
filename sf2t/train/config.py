"""`TrainConfig`: every knob of a training run in one dataclass, validated before any work starts
and saved as ``train_config.json`` beside the checkpoints, so a run can be resumed or repeated
from its own folder."""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sf2t.common.records import portable_path, resolve_portable
from sf2t.train.config_paths import map_paths

MODES = ("full", "lora")
SCHEDULES = ("cosine", "constant", "linear")
MIXED_PRECISION = ("no", "bf16", "fp16", "auto")
CONFIG_NAME = "train_config.json"
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(ValueError):
    """A training configuration that cannot run; the message names the field and the problem."""


@dataclass
class DataSource:
    """One JSONL file of records in the shared shape (SFT records or SF²T task samples).

    ``root`` is the folder the records' ``video`` paths are relative to (default: the JSONL's
    folder). ``ratio`` is this source's share of the mixture; ratios need not sum to one.
    """

    path: str
    root: str | None = None
    ratio: float = 1.0
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or Path(self.path).stem

    @property
    def video_root(self) -> str:
        return self.root if self.root is not None else str(Path(self.path).parent)


@dataclass
class TrainConfig:
    """A training run: model, adaptation, data mixture, optimisation, and where it all goes.

    ``model`` is ``"tiny:<family>"`` (a small random instance, sized by ``model_size``), a local
    model folder, or a Hugging Face id. ``init`` optionally starts from saved weights: a full model
    folder of the same family (e.g. a base stage's output) or a PEFT adapter folder to keep training.
    ``train_vision`` unfreezes the vision tower (LoRA: adapters on it too; full: its weights train).
    """

    # what to train on, and where the run goes
    data: list[DataSource] = field(default_factory=list)  # the mixture: {path, root, ratio, name} each
    output_dir: str = "runs/train"
    # the model
    model: str = "tiny:qwen2_vl"  # "tiny:<family>", a local model folder, or a hub id
    model_size: dict[str, Any] = field(default_factory=dict)  # TinySize fields, or {"size": "mini"}
    init: str | None = None  # start from a full model folder (same family) or continue a PEFT adapter
    # what trains
    mode: str = "lora"  # "lora" | "full"
    lora_rank: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.05
    lora_targets: str | list[str] | None = None  # None: the family's LM attention; a regex; or names
    train_vision: bool = False  # unfreeze the vision tower (LoRA on it, or its full weights)
    # optimisation (one step = grad_accum micro-batches of batch_size per process)
    steps: int = 100
    batch_size: int = 4
    grad_accum: int = 1
    lr: float = 2e-4
    warmup_steps: int = 0  # linear warm-up, then the schedule
    schedule: str = "cosine"  # "cosine" | "linear" | "constant"
    min_lr_ratio: float = 0.0  # the schedule's floor, as a share of lr
    weight_decay: float = 0.0
    adam_beta2: float = 0.999  # AdamW's second-moment decay (the base recipe uses 0.98)
    max_grad_norm: float | None = 1.0  # gradient clipping; None to switch off
    seed: int = 0  # model init (tiny), LoRA init, data mixture, dropout
    mixed_precision: str = "no"  # "no" | "bf16" | "fp16" (CUDA only) | "auto" (bf16 where the GPU has it)
    cpu: bool = False  # force the CPU (also what DDP over gloo needs under `accelerate launch`)
    # checkpoints, evaluation, logging
    checkpoint_every: int = 0  # steps between checkpoints (0: only at the end)
    keep_checkpoints: int | None = None  # keep the newest N checkpoints (None: all)
    eval_data: list[DataSource] = field(default_factory=list)  # held-out records for an eval loss
    eval_every: int = 0  # steps between eval losses (0: none)
    eval_samples: int = 64  # a fixed, seeded draw of this many eval records
    log_every: int = 1  # progress-bar refresh interval (the loss curve keeps every step)
    # data loading
    num_workers: int = 0  # processes that decode and encode upcoming micro-batches (GPU runs: 2-4)
    frame_cache_mb: int = 256  # decoded clips kept per process (LRU), so shared clips decode once
    progress: bool = True
    resume: bool = False  # continue from output_dir's latest checkpoint

    def __post_init__(self) -> None:
        self.data = [_source(d, "data") for d in self.data]
        self.eval_data = [_source(d, "eval_data") for d in self.eval_data]

    # ------------------------------------------------------------------ validation

    def validate(self) -> TrainConfig:
        """Check every field; raise one `ConfigError` listing all problems, before anything is built."""
        problems: list[str] = []

        def need(ok: bool, msg: str) -> None:
            if not ok:
                problems.append(msg)

        need(self.mode in MODES, f"mode must be one of {MODES}, got {self.mode!r}")
        need(self.schedule in SCHEDULES, f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        need(
            self.mixed_precision in MIXED_PRECISION,
            f"mixed_precision must be one of {MIXED_PRECISION}, got {self.mixed_precision!r}",
        )
        if isinstance(self.model, str) and self.model.startswith("tiny:"):
            from sf2t.models.families import FAMILIES

            family = self.model.split(":", 1)[1]
            need(
                family in FAMILIES,
                f"model: unknown family {family!r} in {self.model!r}; known families: {', '.join(sorted(FAMILIES))}",
            )
        else:
            need(
                isinstance(self.model, str) and bool(self.model),
                f"model must be a non-empty string, got {self.model!r}",
            )
            need(not self.model_size, "model_size applies only to model='tiny:<family>'")
        need(isinstance(self.model_size, dict), "model_size must be a mapping of size keywords")
        if self.family is not None and isinstance(self.model_size, dict):
            problems += _size_problems(self.model_size, self.family)
        for name in ("train_vision", "cpu", "progress", "resume"):
            value = getattr(self, name)
            need(isinstance(value, bool), f"{name} must be true or false, got {value!r}")
        for name in ("steps", "batch_size", "grad_accum", "lora_rank", "eval_samples", "log_every"):
            value = getattr(self, name)
            need(_is_int(value) and value >= 1, f"{name} must be an integer >= 1, got {value!r}")
        for name in ("warmup_steps", "checkpoint_every", "eval_every", "num_workers", "seed", "frame_cache_mb"):
            value = getattr(self, name)
            need(_is_int(value) and value >= 0, f"{name} must be an integer >= 0, got {value!r}")
        need(_finite(self.lr) and self.lr > 0, f"lr must be a positive number, got {self.lr!r}")
        need(_finite(self.lora_alpha) and self.lora_alpha > 0, f"lora_alpha must be positive, got {self.lora_alpha!r}")
        need(
            _finite(self.lora_dropout) and 0 <= self.lora_dropout < 1,
            f"lora_dropout must be in [0, 1), got {self.lora_dropout!r}",
        )
        need(
            _finite(self.weight_decay) and self.weight_decay >= 0,
            f"weight_decay must be >= 0, got {self.weight_decay!r}",
        )
        need(
            _finite(self.adam_beta2) and 0 < self.adam_beta2 < 1,
            f"adam_beta2 must be in (0, 1), got {self.adam_beta2!r}",
        )
        need(
            _finite(self.min_lr_ratio) and 0 <= self.min_lr_ratio <= 1,
            f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio!r}",
        )
        need(
            self.max_grad_norm is None or (_finite(self.max_grad_norm) and self.max_grad_norm > 0),
            f"max_grad_norm must be positive or null, got {self.max_grad_norm!r}",
        )
        need(
            self.keep_checkpoints is None or (_is_int(self.keep_checkpoints) and self.keep_checkpoints >= 1),
            f"keep_checkpoints must be an integer >= 1 or null, got {self.keep_checkpoints!r}",
        )
        if _is_int(self.warmup_steps) and _is_int(self.steps) and self.steps >= 1:
            need(self.warmup_steps <= self.steps, f"warmup_steps ({self.warmup_steps}) exceeds steps ({self.steps})")
        problem = _targets_problem(self.lora_targets)
        need(problem is None, str(problem))
        problems += _output_dir_problems(self.output_dir)
        problems += _mixture_problems(self.data, "data", required=True)
        evaluating = _is_int(self.eval_every) and self.eval_every > 0
        problems += _mixture_problems(self.eval_data, "eval_data", required=evaluating)
        if problems:
            raise ConfigError("invalid training configuration:\n  " + "\n  ".join(problems))
        return self

    # ------------------------------------------------------------------ (de)serialisation

    @property
    def family(self) -> str | None:
        if not isinstance(self.model, str):
            return None
        return self.model.split(":", 1)[1] if self.model.startswith("tiny:") else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, path: str | os.PathLike | None = None, relative_to: str | os.PathLike | None = None) -> str:
        """The config as JSON (written to ``path`` if given). With ``relative_to`` (a run writes its
        ``train_config.json`` so), every local path is relative to that folder, and `from_file`
        reads it back relative to the file's folder: the run folder names no machine's folders."""
        values = self.to_dict()
        if relative_to is not None:
            values = map_paths(values, lambda p: portable_path(p, relative_to), lambda m: Path(m).exists())
        text = json.dumps(values, indent=2, sort_keys=True, allow_nan=False) + "\n"
        if path is not None:
            from sf2t.common.records import write_text_atomic

            write_text_atomic(path, text)
        return text

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown field(s) {', '.join(unknown)}; known fields: {', '.join(sorted(known))}"
            )
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> TrainConfig:
        """Read a JSON or YAML file (by extension). A run folder, or the ``train_config.json`` of
        one, gives the run's config where that folder is now (`relocated`): a moved run resumes
        in its new place instead of starting again in the old one."""
        path = Path(path)
        run_folder = None
        if path.is_dir():
            run_folder, path = path, path / CONFIG_NAME
        elif path.name == CONFIG_NAME and is_run_folder(path.parent):
            run_folder = path.parent
        if not path.is_file():
            raise ConfigError(f"{path}: configuration file not found")
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                values = yaml.safe_load(text) or {}
            else:
                values = json.loads(text)
        except Exception as exc:  # any read or parse error becomes a named ConfigError
            raise ConfigError(f"{path}: cannot parse configuration ({_one_line(exc)})") from None
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: expected a mapping of fields, got {type(values).__name__}")
        if path.name == CONFIG_NAME:  # a run's own record: its paths are relative to its folder
            folder = path.parent

            def local_model(model: str) -> bool:
                return not model.startswith("tiny:") and (folder / model).exists()

            values = map_paths(values, lambda p: resolve_portable(p, folder), local_model)
        config = cls.from_dict(values, where=str(path))
        return config if run_folder is None else config.relocated(run_folder)

    def relocated(self, folder: str | os.PathLike) -> TrainConfig:
        """This config with ``output_dir`` set to ``folder`` (where the run folder is now; the
        saved ``output_dir`` is where it was), and every path that pointed inside the old run
        folder (data, eval data, init, a model folder) moved with it."""
        old, new = str(self.output_dir), str(folder)
        if not isinstance(self.output_dir, str) or _same_path(old, new):
            return self

        def move(value: Any) -> Any:
            inside = _inside(value, old) if isinstance(value, str) else None
            return value if inside is None else str(Path(new) / inside)

        values = self.to_dict()
        values["output_dir"] = new
        for key in ("data", "eval_data"):
            for source in values[key]:
                source["path"], source["root"] = move(source["path"]), move(source["root"])
        values["init"] = move(values["init"])
        if self.family is None:
            values["model"] = move(values["model"])
        return TrainConfig.from_dict(values, where=str(Path(new) / CONFIG_NAME))

    from_json = from_file

    def with_overrides(self, assignments: list[str]) -> TrainConfig:
        """Apply ``key=value`` strings (values parsed as JSON when they parse, else kept as text)."""
        values = self.to_dict()
        for item in assignments:
            if "=" not in item:
                raise ConfigError(f"--set expects key=value, got {item!r}")
            key, raw = item.split("=", 1)
            key = key.strip()
            target, leaf = values, key
            if "." in key:  # model_size.hidden_size=64
                head, leaf = key.split(".", 1)
                if not isinstance(values.get(head), dict):
                    raise ConfigError(f"--set {key}: {head!r} is not a mapping field")
                target = values[head]
            elif key not in values:
                raise ConfigError(f"--set {key}: unknown field; known fields: {', '.join(sorted(values))}")
            try:
                target[leaf] = json.loads(raw)
            except json.JSONDecodeError:
                target[leaf] = raw
        return TrainConfig.from_dict(values, where="--set")


def is_run_folder(folder: Path) -> bool:
    """A folder a run has written into (its config beside checkpoints or a loss curve)."""
    return (folder / CONFIG_NAME).is_file() and ((folder / "checkpoints").is_dir() or (folder / "loss.csv").is_file())


def _same_path(a: str, b: str) -> bool:
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def _inside(path: str, folder: str) -> Path | None:
    """``path`` relative to ``folder`` when it lies inside it (compared as absolute paths), else None."""
    try:
        return Path(os.path.normpath(os.path.abspath(path))).relative_to(os.path.normpath(os.path.abspath(folder)))
    except ValueError:
        return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _source(value: Any, where: str) -> DataSource:
    if isinstance(value, DataSource):
        return value
    if isinstance(value, str):
        return DataSource(path=value)
    if isinstance(value, dict):
        unknown = sorted(set(value) - {f.name for f in fields(DataSource)})
        if unknown:
            raise ConfigError(f"{where}: unknown data-source field(s) {', '.join(unknown)} in {value!r}")
        if "path" not in value:
            raise ConfigError(f"{where}: a data source needs a 'path', got {value!r}")
        return DataSource(**value)
    raise ConfigError(f"{where}: a data source is a path or a mapping with 'path', got {value!r}")


def _mixture_problems(sources: list[DataSource], where: str, required: bool) -> list[str]:
    problems = []
    if not sources:
        if required:
            problems.append(f"{where}: the mixture is empty (give at least one {{path, root, ratio}} source)")
        return problems
    for i, src in enumerate(sources):
        if not isinstance(src.path, str) or not src.path:
            problems.append(f"{where}[{i}]: 'path' must be a non-empty string, got {src.path!r}")
        for key in ("root", "name"):
            value = getattr(src, key)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append(f"{where}[{i}]: {key!r} must be a non-empty string or null, got {value!r}")
        if not _finite(src.ratio) or src.ratio < 0:
            problems.append(f"{where}[{i}] ({src.path}): ratio must be a finite number >= 0, got {src.ratio!r}")
    if problems:
        return problems
    if all(_finite(s.ratio) and s.ratio == 0 for s in sources):
        problems.append(f"{where}: every ratio is zero, so the mixture would draw nothing")
    labels = [s.label for s in sources]
    duplicated = sorted({x for x in labels if labels.count(x) > 1})
    if duplicated:
        problems.append(f"{where}: source names must be unique (set 'name'); repeated: {', '.join(duplicated)}")
    return problems


def _size_problems(size: dict[str, Any], family: str) -> list[str]:
    """A tiny model's sizes, checked as `sf2t.models.tiny` will build them."""
    from sf2t.models.families import FAMILIES
    from sf2t.models.tiny_sizes import check_frame_repeat, tiny_size

    try:
        dims = tiny_size(**size)
        if family in FAMILIES:  # an unknown family is reported on its own
            check_frame_repeat(dims, family, FAMILIES[family].temporal_merge)
    except (TypeError, ValueError) as exc:
        return [f"model_size: {exc}"]
    return []


def _targets_problem(targets: Any) -> str | None:
    """lora_targets: null, a regex that compiles, or a non-empty list of module names."""
    if targets is None:
        return None
    if isinstance(targets, str):
        try:
            re.compile(targets)
        except re.error as exc:
            return f"lora_targets: {targets!r} is not a valid regular expression ({exc})"
        return None if targets else "lora_targets: an empty regex matches no module; use null for the default"
    if isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets):
        bad = [t for t in targets if not MODULE_NAME.fullmatch(t)]
        return f"lora_targets: not module names: {bad} (e.g. 'q_proj'; give a regex string instead)" if bad else None
    return f"lora_targets must be null, a regex string or a non-empty list of module names, got {targets!r}"


def _output_dir_problems(output_dir: Any) -> list[str]:
    """output_dir must be a path whose existing part is a folder (not a file)."""
    if not isinstance(output_dir, str) or not output_dir:
        return [f"output_dir must be a non-empty path, got {output_dir!r}"]
    path = Path(output_dir)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                what = "is a file" if part == path else f"is inside {part}, which is a file"
                return [f"output_dir {output_dir} {what}, not a folder"]
            break
    return []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
