"""Tiny random instances of the real Video-LLM architectures, built offline.

Each family gets its real config class with small sizes, its real processor configured for small
frames, and a byte-level BPE tokenizer trained in-process (the `tokenizers` library) on the words
our prompts use, carrying the family's special tokens and chat template. The result is an
ordinary `VideoLLM`: it trains, scores, generates, saves and reloads like a downloaded checkpoint.

The tokenizer is built in `sf2t.models.tokenizer`, the configs and processors in
`sf2t.models.tiny_builders`, from the sizes in `sf2t.models.tiny_sizes`; this module puts them
together (`tiny()`) and initialises the weights.
"""

from __future__ import annotations

import torch

from sf2t.models.base import FRAME_REPEAT_KEY, VideoLLM
from sf2t.models.families import get_family
from sf2t.models.tiny_builders import BUILDERS, set_text_token_ids
from sf2t.models.tiny_sizes import check_frame_repeat, tiny_size
from sf2t.models.tokenizer import train_tokenizer

INITS = ("fan_in", "hf")


def tiny(family: str, seed: int = 0, init: str = "fan_in", **size) -> VideoLLM:
    """A small random `family` model with its real processor, deterministic given `seed`.

    Keyword arguments are `TinySize` fields (e.g. ``hidden_size=256, num_layers=4`` for ~2.5 M
    parameters); ``size="mini"`` selects that preset. ``init="fan_in"`` (default) redraws linear
    and convolution weights for small widths (see `_fan_in_init`); ``init="hf"`` keeps the
    Hugging Face initialisation.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
    spec = get_family(family)
    dims = tiny_size(**size)
    check_frame_repeat(dims, spec.name, spec.temporal_merge)
    tokenizer = train_tokenizer(spec, dims.vocab_size)
    config, processor = BUILDERS[spec.name](spec, tokenizer, dims)
    set_text_token_ids(config, tokenizer)
    if dims.frame_repeat > 1:  # only then: a default model's config (and identity) stays as it was
        setattr(config, FRAME_REPEAT_KEY, dims.frame_repeat)
    model_class = spec.resolve_model_class()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(config)
        if init == "fan_in":
            _fan_in_init(model)
    model.eval()
    sizes = ", ".join(f"{k}={v}" for k, v in sorted(size.items()))
    origin = f"tiny:{spec.name} (seed {seed}, init {init}" + (f", {sizes})" if sizes else ")")
    llm = VideoLLM(spec, model, processor, origin=origin)
    llm.image_size = dims.image_size
    return llm


def _fan_in_init(model) -> None:
    """Redraw every Linear/Conv weight from N(0, 1/fan_in) and zero its bias (embeddings and norms
    keep their defaults).

    Why: the Hugging Face default N(0, 0.02²) is scaled for models thousands of units wide. At
    widths 64-256 each attention/MLP block then adds only a few per cent to the residual stream,
    so the answer position hardly sees the video tokens, and a random tiny model sat at chance even
    on the colour of a single object (9 of 9 runs within 200-270 steps); with this initialisation
    colour reached 91-95% on held-out videos after 150-175 steps (measured while tuning the base).
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear | torch.nn.Conv2d | torch.nn.Conv3d):
                module.weight.normal_(0.0, module.weight[0].numel() ** -0.5)
                if module.bias is not None:
                    module.bias.zero_()
