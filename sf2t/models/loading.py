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
    adapter folder, applied without merging so what is evaluated is what was trained, and only
    on the base it was trained on (`attach_adapter`).
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
    llm = VideoLLM(spec, model, processor, origin=source)
    if adapter is not None:
        llm = attach_adapter(llm, adapter)
    if device is not None:
        llm.to(device)
    llm.model.eval()
    return llm


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


def attach_adapter(llm: VideoLLM, adapter: str | Path, trainable: bool = False) -> VideoLLM:
    """``llm`` with the PEFT adapter in ``adapter`` applied (not merged), after checking the folder
    is intact and was trained on this very base (`sf2t.models.identity`); every refusal names
    the folder and what is wrong."""
    from peft import PeftModel

    from sf2t.models.identity import base_identity, describe, mismatch
    from sf2t.models.lora import peft_quietly

    adapter = Path(adapter)
    if llm.is_adapter:
        raise ValueError(f"{adapter}: the {llm.family} model already carries an adapter; load its base without one")
    recorded = check_adapter_folder(adapter)
    source = llm.origin or f"the {llm.family} model"
    if recorded is not None:
        base_type = recorded.get("model_type")
        if base_type is not None and base_type not in llm.spec.model_types:
            raise ValueError(
                f"{adapter}: adapter was trained on a {base_type!r} model, but {source} is {llm.spec.model_types[0]!r}"
            )
        actual = base_identity(llm)
        differs = mismatch(recorded, actual)
        if differs:
            raise ValueError(
                f"{adapter}: adapter does not match the base model {source}: it was trained on "
                f"{describe(recorded)}, but the base given is {describe(actual)}; their {differs} differ"
            )
    try:
        with peft_quietly():
            model = PeftModel.from_pretrained(llm.model, str(adapter), is_trainable=trainable)
    except (RuntimeError, ValueError, KeyError, OSError) as err:
        raise ValueError(f"{adapter}: adapter does not match the base model {source}: {err}") from err
    wrapped = VideoLLM(llm.spec, model, llm.processor, device=llm.device, origin=llm.origin)
    wrapped.image_size = llm.image_size
    return wrapped


def check_adapter_folder(adapter: Path) -> dict | None:
    """Refuse a missing or corrupt adapter folder (config, weights, base identity), naming the
    file and the problem; return the recorded base identity (None for adapters saved elsewhere)."""
    if not adapter.exists():
        raise FileNotFoundError(f"{adapter}: no such adapter folder")
    if not adapter.is_dir():
        raise FileNotFoundError(f"{adapter}: not a PEFT adapter folder (a file, not a folder)")
    config_file = adapter / "adapter_config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
    adapter_config = read_json(config_file, "adapter config")
    if not isinstance(adapter_config, dict) or "peft_type" not in adapter_config:
        raise ValueError(f"{config_file}: not a PEFT adapter config (no peft_type)")
    weights = adapter / "adapter_model.safetensors"
    if not weights.is_file():
        if (adapter / "adapter_model.bin").is_file():
            raise ValueError(
                f"{adapter}: holds only pickle weights (adapter_model.bin); sf2t loads adapters from "
                "adapter_model.safetensors only"
            )
        raise FileNotFoundError(f"{adapter}: no adapter weights (adapter_model.safetensors is missing)")
    check_safetensors(weights)
    marker = adapter / BASE_MARKER
    if not marker.is_file():
        return None
    recorded = read_json(marker, "base identity")
    if not isinstance(recorded, dict):
        raise ValueError(f"{marker}: not a base identity (expected a JSON object)")
    return recorded


def read_json(path: Path, what: str):
    """A JSON file's content, or a ValueError naming the file (bad encoding, syntax, depth)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ValueError(f"{path}: unreadable {what} ({err})") from None


def check_safetensors(path: Path) -> None:
    """Refuse a safetensors file whose header is unreadable or whose data is cut short."""
    from safetensors import SafetensorError, safe_open

    if path.stat().st_size == 0:
        raise ValueError(f"{path}: empty weights file (0 bytes)")
    try:
        with safe_open(str(path), framework="pt"):
            pass
    except (SafetensorError, OSError) as err:
        raise ValueError(f"{path}: unreadable weights ({err}); the file may be truncated") from None
