"""Which base model an adapter belongs to, so an adapter is never evaluated on another base.

A LoRA adapter only means something on the exact weights it was trained on: a tiny model of
another family, or of the same family built from another seed, accepts the adapter's tensors
just as well and silently evaluates something else. `VideoLLM.save` therefore writes the base's
identity beside every adapter (``sf2t_base.json``) and `sf2t.models.load` refuses a base whose
identity differs, naming both.

The identity is the family and model type, a hash of the config (without the fields that
change with how it was saved or loaded: dtype, attention implementation, library version, name,
architectures), and a fingerprint of the weights: every tensor's name and shape and 64 evenly
spaced values, in bfloat16 so the dtype a base is loaded in does not change it. Sampling keeps
the fingerprint cheap for a multi-GB checkpoint; different seeds or any full fine-tuning change
every sampled value. ``origin`` (``tiny:qwen2_vl (seed 0, ...)`` or the folder or hub id) is
recorded only to make the messages readable; it is not compared.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import torch

#: Config fields that describe how a model was loaded, not which model it is.
VOLATILE_CONFIG_KEYS = frozenset(
    {
        "_name_or_path",
        "_commit_hash",
        "architectures",
        "_attn_implementation",
        "_attn_implementation_autoset",
        "_attn_implementation_internal",
        "attn_implementation",
        "transformers_version",
        "dtype",
        "torch_dtype",
        "use_cache",
    }
)
SAMPLES_PER_TENSOR = 64
COMPARED = ("model_type", "config_sha256", "weights_sha256")


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE_CONFIG_KEYS}
    if isinstance(value, list | tuple):
        return [_stable(v) for v in value]
    return value


def config_sha256(config) -> str:
    """A hash of a model config's content (loading options left out)."""
    text = json.dumps(_stable(config.to_dict()), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _base_tensors(model) -> dict[str, torch.Tensor]:
    """The base model's floating-point tensors by name; inside a PEFT wrapper, the LoRA tensors
    are left out and the wrapped layers keep their original names."""
    from peft import PeftModel

    if isinstance(model, PeftModel):
        model = model.get_base_model()
    tensors = {}
    for name, tensor in model.state_dict().items():
        if "lora_" in name or not tensor.is_floating_point():
            continue
        tensors[name.replace(".base_layer.", ".")] = tensor
    return tensors


def weights_sha256(model) -> str:
    """A fingerprint of the base weights: name, shape and evenly spaced values of every tensor."""
    digest = hashlib.sha256()
    with torch.no_grad():
        for name, tensor in sorted(_base_tensors(model).items()):
            digest.update(f"{name}:{tuple(tensor.shape)};".encode())
            if tensor.is_meta or tensor.numel() == 0:
                continue
            flat = tensor.detach().reshape(-1)
            picks = torch.linspace(0, flat.numel() - 1, min(flat.numel(), SAMPLES_PER_TENSOR)).long()
            values = flat[picks.to(flat.device)].to("cpu", torch.bfloat16)
            digest.update(values.view(torch.int16).numpy().tobytes())
    return digest.hexdigest()[:16]


def base_identity(llm) -> dict[str, Any]:
    """The identity of the base under ``llm`` (the model itself, or the base of its adapter)."""
    from peft import PeftModel

    model = llm.model.get_base_model() if isinstance(llm.model, PeftModel) else llm.model
    return {
        "family": llm.family,
        "model_type": model.config.model_type,
        "config_sha256": config_sha256(model.config),
        "weights_sha256": weights_sha256(llm.model),
        "origin": llm.origin,
    }


def describe(identity: dict[str, Any]) -> str:
    origin = identity.get("origin") or "an unnamed model"
    return (
        f"{origin} ({identity.get('model_type')}, config {identity.get('config_sha256')}, "
        f"weights {identity.get('weights_sha256')})"
    )


def mismatch(recorded: dict[str, Any], actual: dict[str, Any]) -> str | None:
    """What differs between the base an adapter recorded and the base given, or None.

    Adapters saved before identities were recorded carry only family and model type: only
    what they recorded is compared."""
    differs = [key for key in COMPARED if recorded.get(key) is not None and recorded[key] != actual.get(key)]
    if not differs:
        return None
    words = {"model_type": "model type", "config_sha256": "config", "weights_sha256": "weights"}
    return " and ".join(words[key] for key in differs)
