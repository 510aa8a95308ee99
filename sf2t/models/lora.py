"""LoRA on the language model by default: targets are regexes per family, because the vision
towers of several families have `q_proj`/`v_proj` too and a plain name list would adapt them."""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator, Sequence

from sf2t.models.base import VideoLLM


@contextlib.contextmanager
def peft_quietly() -> Iterator[None]:
    """Wrap or load an adapter without peft's repeated FutureWarning: peft 0.21 reads the
    ``is_gradient_checkpointing`` property that transformers 5 deprecated, once per model it wraps.
    Only that warning is hidden, and only around peft's own calls."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def lora_config(
    llm: VideoLLM,
    rank: int = 8,
    alpha: int = 16,
    dropout: float = 0.0,
    targets: Sequence[str] | str | None = None,
    include_vision: bool = False,
):
    """A `peft.LoraConfig` for `llm`.

    `targets`: None for the family's language-model attention projections; a list of module
    names (e.g. ``["q_proj", "v_proj", "gate_proj"]``) restricted to the language model; or a
    regex string used as it is. `include_vision` also adapts the vision tower's attention.
    """
    from peft import LoraConfig

    if rank < 1:
        raise ValueError(f"LoRA rank must be >= 1, got {rank}")
    spec = llm.spec
    if isinstance(targets, str):
        pattern = targets
    else:
        vision = spec.vision_targets if include_vision else None
        pattern = spec.lora_pattern(lm_targets=list(targets) if targets else None, vision_targets=vision)
    matched = matching_modules(llm, pattern)
    if not matched:
        raise ValueError(f"LoRA targets {pattern!r} match no module of the {llm.family} model")
    return LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=pattern, bias="none")


def matching_modules(llm: VideoLLM, pattern: str) -> list[str]:
    """Names of the Linear modules the pattern selects (PEFT matches a regex in full)."""
    import torch

    regex = re.compile(pattern)
    model = llm.model.get_base_model() if llm.is_adapter else llm.model
    return [
        name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear) and regex.fullmatch(name)
    ]


def apply_lora(llm: VideoLLM, config) -> VideoLLM:
    """Wrap the model with LoRA; only the adapter weights train (vision tower and language model
    stay frozen). The base model is modified in place: use the returned `VideoLLM`."""
    from peft import get_peft_model

    if llm.is_adapter:
        raise ValueError(f"{llm.family} model already carries a LoRA adapter")
    with peft_quietly():
        peft_model = get_peft_model(llm.model, config)
    return VideoLLM(llm.spec, peft_model, llm.processor, device=llm.device, origin=llm.origin)
