"""Loading a Video-LLM from a Hugging Face id or a local folder: the code path a GPU user runs
on a released checkpoint is the one the tests run on a tiny model saved at test time."""

from __future__ import annotations

import json
from pathlib import Path

from sf2t.models.base import BASE_MARKER, VideoLLM
from sf2t.models.families import FamilySpec, family_for_model_type, get_family


def load(
    name_or_path: str | Path,
    family: str | None = None,
    adapter: str | Path | None = None,
    dtype=None,
    device: str | None = None,
    trust_remote_code: bool = False,
    model_kwargs: dict | None = None,
) -> VideoLLM:
    """Load model + processor from `name_or_path` (a hub id or a folder written by `save`).

    The family comes from `config.model_type` unless given (then it must agree). Weights load
    from safetensors only; `trust_remote_code` stays off unless asked. `adapter` is a PEFT
    adapter folder, applied without merging so what is evaluated is what was trained.
    `model_kwargs` go to `from_pretrained` (e.g. ``device_map="auto"``, ``attn_implementation``).
    """
    from transformers import AutoConfig, AutoProcessor

    source = _check_source(name_or_path)
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        raise ValueError(f"{source}: cannot read a model config ({err})") from err
    spec = _resolve_family(config, family, source)
    processor = AutoProcessor.from_pretrained(source, trust_remote_code=trust_remote_code)
    model = spec.resolve_model_class().from_pretrained(
        source,
        config=config,
        dtype=dtype,
        use_safetensors=True,
        trust_remote_code=trust_remote_code,
        **(model_kwargs or {}),
    )
    if adapter is not None:
        model = _attach_adapter(model, Path(adapter), spec, source)
    if device is not None:
        model.to(device)
    model.eval()
    return VideoLLM(spec, model, processor)


def _check_source(name_or_path: str | Path) -> str:
    """A local folder must exist and hold a config.json; anything else is taken as a hub id."""
    text = str(name_or_path)
    path = Path(text).expanduser()
    looks_local = path.exists() or text.startswith((".", "/", "~")) or text.count("/") > 1
    if looks_local:
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such model folder")
        if (path / "adapter_config.json").is_file() and not (path / "config.json").is_file():
            raise FileNotFoundError(
                f"{path}: this is a LoRA adapter folder; load its base model with adapter={str(path)!r}"
            )
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path}: not a model folder (no config.json)")
        return str(path)
    return text


def _resolve_family(config, family: str | None, source: str) -> FamilySpec:
    model_type = getattr(config, "model_type", None)
    if family is None:
        return family_for_model_type(str(model_type), where=source)
    spec = get_family(family)
    if model_type not in spec.model_types:
        raise ValueError(
            f"{source}: config.model_type is {model_type!r}, which is not family {family!r} "
            f"(expects {', '.join(spec.model_types)})"
        )
    return spec


def _attach_adapter(model, adapter: Path, spec: FamilySpec, source: str):
    from peft import PeftModel

    from sf2t.models.lora import peft_quietly

    config_file = adapter / "adapter_config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
    try:
        adapter_config = json.loads(config_file.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{config_file}: unreadable adapter config ({err})") from err
    if not isinstance(adapter_config, dict) or "peft_type" not in adapter_config:
        raise ValueError(f"{config_file}: not a PEFT adapter config (no peft_type)")
    base_type = _model_type_from_adapter(adapter)
    if base_type is not None and base_type not in spec.model_types:
        raise ValueError(
            f"{adapter}: adapter was trained on a {base_type!r} model, but {source} is {spec.model_types[0]!r}"
        )
    try:
        with peft_quietly():
            return PeftModel.from_pretrained(model, str(adapter), is_trainable=False)
    except (RuntimeError, ValueError, KeyError) as err:
        raise ValueError(f"{adapter}: adapter does not match the base model {source}: {err}") from err


def _model_type_from_adapter(adapter: Path) -> str | None:
    """The base model type `VideoLLM.save` records beside an adapter (PEFT records only the
    base's name, which for a model built in memory says nothing)."""
    marker = adapter / BASE_MARKER
    if marker.is_file():
        try:
            return json.loads(marker.read_text()).get("model_type")
        except json.JSONDecodeError:
            return None
    return None
