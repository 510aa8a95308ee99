"""Build the model a run trains: the architecture (tiny or pretrained), optional starting weights,
and what is trainable (LoRA adapters or full weights; the vision tower frozen unless asked).

Every mismatch (unknown family, a checkpoint folder of another model type, a folder without
weights, an adapter on a full-mode run) is raised here, before any training step.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sf2t.train.config import ConfigError, TrainConfig

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
ADAPTER_CONFIG = "adapter_config.json"


class CheckpointMismatch(ConfigError):
    """A checkpoint folder that cannot be loaded into the configured model."""


def folder_kind(path: str | Path) -> str:
    """``"adapter"`` (PEFT layout), ``"model"`` (HF config + weights), or a `CheckpointMismatch`."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointMismatch(f"{path}: checkpoint folder not found")
    if (path / ADAPTER_CONFIG).is_file():
        return "adapter"
    if not (path / "config.json").is_file():
        raise CheckpointMismatch(f"{path}: neither a model folder (config.json) nor a PEFT adapter ({ADAPTER_CONFIG})")
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        raise CheckpointMismatch(f"{path}: has config.json but no weights ({', '.join(WEIGHT_FILES)})")
    return "model"


def model_type_of(path: str | Path) -> str:
    config = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    return str(config.get("model_type"))


def check_model_folder(path: str | Path, family: str | None) -> None:
    """Refuse a full-model folder without weights or of a family other than ``family``."""
    if folder_kind(path) != "model":
        raise CheckpointMismatch(f"{path}: expected a full model folder, found a PEFT adapter")
    if family is not None:
        from sf2t.models import get_family

        model_type = model_type_of(path)
        if model_type not in get_family(family).model_types:
            raise CheckpointMismatch(
                f"{path}: checkpoint has model_type {model_type!r}, which does not match family {family!r} "
                f"(expects {', '.join(get_family(family).model_types)})"
            )


def adapter_base(path: str | Path) -> str | None:
    config = json.loads((Path(path) / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    return config.get("base_model_name_or_path")


def check_sources(config: TrainConfig) -> None:
    """Check the model and init folders without building anything."""
    if config.family is not None:
        from sf2t.models import get_family

        get_family(config.family)
    elif Path(config.model).exists():
        check_model_folder(config.model, None)
    elif config.model.startswith((".", "/", "~")) or config.model.count("/") > 1:
        raise CheckpointMismatch(f"{config.model}: model folder not found (and not a hub id like 'org/name')")
    if config.init is not None:
        kind = folder_kind(config.init)
        if kind == "model":
            family = config.family
            if family is None and Path(config.model).exists():
                from sf2t.models import family_for_model_type

                family = family_for_model_type(model_type_of(config.model), where=config.model).name
            check_model_folder(config.init, family)
        elif config.mode != "lora":
            raise CheckpointMismatch(f"{config.init}: a PEFT adapter can only continue a mode='lora' run")
        else:
            from sf2t.models.loading import check_adapter_folder

            try:
                check_adapter_folder(Path(config.init))
            except (OSError, ValueError) as exc:
                raise CheckpointMismatch(str(exc)) from None


def base_model(config: TrainConfig):
    """The `VideoLLM` before adaptation: tiny random, pretrained, or the ``init`` model folder."""
    from sf2t.models import tiny
    from sf2t.models.loading import load

    try:
        if config.init is not None and folder_kind(config.init) == "model":
            return load(config.init, family=config.family)
        if config.family is not None:
            return tiny(config.family, seed=config.seed, **config.model_size)
        return load(config.model)
    except (OSError, ValueError) as exc:  # unreadable folder, wrong family, unknown size field
        raise CheckpointMismatch(f"cannot build the model for {config.model!r}: {exc}") from exc


def vision_regex(llm) -> re.Pattern:
    """Parameter names inside the family's vision tower (`FamilySpec.vision_module`)."""
    return re.compile(rf"(^|\.)({llm.spec.vision_module})\.")


def make_trainable(llm, config: TrainConfig):
    """Apply the run's adaptation and return the `VideoLLM` to train.

    - ``lora``: PEFT adapters on the language model's attention (and the vision tower's when
      ``train_vision``), or continue the ``init`` adapter; everything else frozen.
    - ``full``: every weight trains except the vision tower (unless ``train_vision``).
    """
    vision = vision_regex(llm)
    if not any(vision.search(name) for name, _ in llm.model.named_parameters()):
        raise CheckpointMismatch(f"{config.model}: no vision tower ({llm.spec.vision_module}) among its parameters")
    if config.mode == "full":
        for name, param in llm.model.named_parameters():
            param.requires_grad_(config.train_vision or not vision.search(name))
        return llm
    from sf2t.models.lora import apply_lora, lora_config

    if config.init is not None and folder_kind(config.init) == "adapter":
        from sf2t.models import attach_adapter

        try:
            return attach_adapter(llm, config.init, trainable=True)
        except (OSError, ValueError) as exc:
            raise CheckpointMismatch(str(exc)) from None
    try:
        lora = lora_config(
            llm,
            config.lora_rank,
            config.lora_alpha,
            config.lora_dropout,
            targets=config.lora_targets,
            include_vision=config.train_vision,
        )
    except ValueError as exc:
        raise ConfigError(f"lora_targets: {exc}") from None
    return apply_lora(llm, lora)


def trainable_summary(llm) -> dict[str, int]:
    vision = vision_regex(llm)
    params = list(llm.model.named_parameters())
    return {
        "parameters": sum(p.numel() for _, p in params),
        "trainable": sum(p.numel() for _, p in params if p.requires_grad),
        "trainable_vision": sum(p.numel() for n, p in params if p.requires_grad and vision.search(n)),
    }
