"""Tiny random instances of the real Video-LLM architectures, built offline.

Each family gets its real config class with small sizes, its real processor configured for small
frames, and a byte-level BPE tokenizer trained in-process (the `tokenizers` library) on the words
our prompts use, carrying the family's special tokens and chat template. The result is an
ordinary `VideoLLM`: it trains, scores, generates, saves and reloads like a downloaded checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import torch

from sf2t.common.prompts import LETTERS
from sf2t.models.base import VideoLLM
from sf2t.models.families import FamilySpec, get_family

_COLOURS = "red green blue yellow purple orange white black grey pink brown cyan"
_SHAPES = "circle square triangle diamond object objects shape shapes"
_ACTIONS = (
    "moves move moving left right up down rotates rotate rotating grows grow shrinks shrink changes change "
    "colour color appears appear disappears disappear falls fall off edge collides collide with another "
    "stays still slow fast slowly quickly speed playback normal reversed"
)
_QUESTION_WORDS = (
    "how many frames frame are is there in the this video clip which what where when does do did order "
    "correct incorrect identical same different differ first second last between and or of to from at "
    "a an it its shown given following sequence restore original quadrant top bottom half centre center "
    "region appear appears visible persists patch target option options letter answer with yes no true "
    "false none all both each after before then start end video's option's happens happen action effect "
    "count number numbers adjusted adjust rearrange rearrangement meaning compare comparison caption "
    "roughly something nothing some about as for on into out that than these they if has been not only "
    "more needs belong size big bigger smaller higher lower longer further quarter corner consecutive "
    "differently shuffled pasted turned turns restores adjusting taking compared temporal time"
)
_NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve sixteen"


def _corpus() -> list[str]:
    """A small built-in corpus: enough text for BPE to learn the words our prompts use."""
    words = " ".join([_COLOURS, _SHAPES, _ACTIONS, _QUESTION_WORDS, _NUMBER_WORDS])
    # each word with and without a leading space, lower-case and capitalised (sentence starts)
    lines = [words, " " + words, " ".join(w.capitalize() for w in words.split()), words.upper()]
    lines += [w.capitalize() for w in words.split()]
    lines += [f"Frame {k}: frame {k} frames {k}" for k in range(1, 65)]
    lines += [" ".join(str(k) for k in range(0, 65)), ", ".join(str(k) for k in range(0, 65))]
    lines += [f"{letter}. {letter}) ({letter}) answer {letter}" for letter in LETTERS]
    lines += ["How many frames are in the video?\nA. 4\nB. 8\nAnswer with the option's letter."] * 4
    lines += ["Is the order of the frames correct? yes no Yes No"] * 4
    return lines


def train_tokenizer(spec: FamilySpec, vocab_size: int = 512):
    """A byte-level BPE tokenizer (any text encodes) with the family's special tokens.

    Each letter A..J is a single token, both bare ("A", the first token after "assistant\\n")
    and with a leading space (" A", the first token after "ASSISTANT:"), so letter scores read
    one logit per option.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(spec.special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_corpus(), trainer)
    tokenizer = _with_spaced_letters(tokenizer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=spec.eos_token,
        pad_token=spec.pad_token,
        bos_token=spec.bos_token,
        unk_token=None,
        extra_special_tokens=dict(spec.tokenizer_attributes) or None,
    )
    fast.chat_template = spec.chat_template
    return fast


def _with_spaced_letters(tokenizer):
    """Add the merges "Ġ"+letter that training did not learn. Appended merges have the lowest
    priority, so words that start with a capital keep their own merges."""
    from tokenizers import Tokenizer

    state = json.loads(tokenizer.to_str())
    vocab, merges = state["model"]["vocab"], state["model"]["merges"]
    next_id = max(vocab.values()) + 1
    for letter in LETTERS:
        if "Ġ" + letter not in vocab:
            vocab["Ġ" + letter] = next_id
            merges.append(["Ġ", letter])
            next_id += 1
    return Tokenizer.from_str(json.dumps(state))


@dataclass(frozen=True)
class TinySize:
    """Sizes of a tiny model. The defaults give about 0.2 M parameters; `MINI` about 2.9 M."""

    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int | None = None
    vision_hidden_size: int = 32
    vision_layers: int = 1
    vision_heads: int = 2
    image_size: int = 64
    num_frames: int = 8
    vocab_size: int = 512

    @property
    def ffn(self) -> int:
        return self.intermediate_size or 2 * self.hidden_size

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    def validate(self) -> None:
        if self.hidden_size % self.num_heads or self.vision_hidden_size % self.vision_heads:
            raise ValueError(f"hidden sizes must divide by the head counts: {self}")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads must be a multiple of num_kv_heads: {self}")
        if self.head_dim % 2 or self.head_dim < 8:
            raise ValueError(f"head_dim = hidden_size/num_heads must be even and >= 8: {self}")
        if self.image_size < 32 or self.image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16 (>= 32), got {self.image_size}")


# about 2.9 M parameters, 4 layers: the size that learned 4-way direction on CPU (design §5)
MINI = {
    "hidden_size": 256,
    "num_layers": 4,
    "num_heads": 4,
    "num_kv_heads": 2,
    "vision_hidden_size": 64,
    "vision_layers": 2,
    "vision_heads": 2,
}


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
    preset = size.pop("size", None)
    if preset is not None:
        if preset != "mini":
            raise ValueError(f"unknown tiny size preset {preset!r}; known: 'mini'")
        size = {**MINI, **size}
    unknown = set(size) - set(TinySize.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown tiny size fields {sorted(unknown)}; known: {sorted(TinySize.__dataclass_fields__)}")
    dims = TinySize(**size)
    dims.validate()
    tokenizer = train_tokenizer(spec, dims.vocab_size)
    config, processor = _BUILDERS[spec.name](spec, tokenizer, dims)
    _set_text_token_ids(config, tokenizer)
    model_class = spec.resolve_model_class()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(config)
        if init == "fan_in":
            _fan_in_init(model)
    model.eval()
    llm = VideoLLM(spec, model, processor)
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


def _special_ids(tokenizer) -> dict[str, int]:
    """bos/eos/pad ids of the tiny vocabulary, or the real models' defaults (~151k) would stay."""
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    return {"bos_token_id": bos, "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}


def _set_text_token_ids(config, tokenizer) -> None:
    for target in (config, config.get_text_config()):
        for key, value in _special_ids(tokenizer).items():
            if hasattr(target, key) or target is config.get_text_config():
                setattr(target, key, value)


def _token_id(tokenizer, token: str) -> int:
    return tokenizer.convert_tokens_to_ids(token)


def _text_config(dims: TinySize, tokenizer, **extra) -> dict:
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": dims.hidden_size,
        "intermediate_size": dims.ffn,
        "num_hidden_layers": dims.num_layers,
        "num_attention_heads": dims.num_heads,
        "num_key_value_heads": dims.num_kv_heads,
        "max_position_embeddings": 4096,
        **_special_ids(tokenizer),
        **extra,
    }


def _mrope_section(head_dim: int) -> list[int]:
    """Split head_dim/2 rotary frequencies over (time, height, width) like the released 16/24/24."""
    half = head_dim // 2
    time = max(1, half // 4)
    height = (half - time) // 2
    return [time, height, half - time - height]


def _qwen_pixels(dims: TinySize, factor: int) -> dict:
    """Qwen's `size` is a pixel budget; frames of `image_size`² stay that size."""
    longest = dims.image_size**2
    return {"shortest_edge": min(longest, (2 * factor) ** 2), "longest_edge": longest}


def _qwen2_vl(spec, tokenizer, dims):
    from transformers import Qwen2VLConfig

    config = Qwen2VLConfig(
        text_config=_text_config(
            dims,
            tokenizer,
            rope_parameters=_qwen_rope(dims),
        ),
        vision_config={
            "depth": dims.vision_layers,
            "embed_dim": dims.vision_hidden_size,
            "hidden_size": dims.hidden_size,
            "num_heads": dims.vision_heads,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        **_qwen_vision_ids(tokenizer),
    )
    return config, _qwen2_processor(spec, tokenizer, dims)


def _qwen_rope(dims: TinySize, **extra) -> dict:
    """M-RoPE parameters shared by the Qwen-VL families (sections must sum to head_dim / 2)."""
    return {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": _mrope_section(dims.head_dim), **extra}


def _qwen2_processor(spec, tokenizer, dims: TinySize):
    """The real Qwen2-VL image and video processors (also Qwen2.5-VL's) at the tiny frame size."""
    from transformers import Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    size = _qwen_pixels(dims, 14)
    return spec.resolve_processor_class()(
        image_processor=Qwen2VLImageProcessor(size=size, patch_size=14, temporal_patch_size=2, merge_size=2),
        video_processor=Qwen2VLVideoProcessor(
            size=size, patch_size=14, temporal_patch_size=2, merge_size=2, cap_pixels_per_frame=False
        ),
        tokenizer=tokenizer,
        chat_template=spec.chat_template,
    )


def _qwen_vision_ids(tokenizer) -> dict:
    return {
        "image_token_id": _token_id(tokenizer, "<|image_pad|>"),
        "video_token_id": _token_id(tokenizer, "<|video_pad|>"),
        "vision_start_token_id": _token_id(tokenizer, "<|vision_start|>"),
        "vision_end_token_id": _token_id(tokenizer, "<|vision_end|>"),
    }


def _qwen2_5_vl(spec, tokenizer, dims):
    from transformers import Qwen2_5_VLConfig

    config = Qwen2_5_VLConfig(
        text_config=_text_config(
            dims,
            tokenizer,
            rope_parameters=_qwen_rope(dims),
        ),
        vision_config={
            "depth": dims.vision_layers,
            "hidden_size": dims.vision_hidden_size,
            "intermediate_size": 2 * dims.vision_hidden_size,
            "num_heads": dims.vision_heads,
            "out_hidden_size": dims.hidden_size,
            "fullatt_block_indexes": [dims.vision_layers - 1],
            "window_size": 56,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        **_qwen_vision_ids(tokenizer),
    )
    return config, _qwen2_processor(spec, tokenizer, dims)


def _qwen3_vl(spec, tokenizer, dims):
    from transformers import Qwen2VLImageProcessor, Qwen3VLConfig, Qwen3VLVideoProcessor

    grid = dims.image_size // 16
    config = Qwen3VLConfig(
        text_config=_text_config(
            dims,
            tokenizer,
            head_dim=dims.head_dim,
            rope_parameters=_qwen_rope(dims, mrope_interleaved=True),
        ),
        vision_config={
            "depth": dims.vision_layers,
            "hidden_size": dims.vision_hidden_size,
            "intermediate_size": 2 * dims.vision_hidden_size,
            "num_heads": dims.vision_heads,
            "out_hidden_size": dims.hidden_size,
            "num_position_embeddings": grid * grid,
            "deepstack_visual_indexes": [0],
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        **_qwen_vision_ids(tokenizer),
    )
    size = _qwen_pixels(dims, 16)
    processor = spec.resolve_processor_class()(
        image_processor=Qwen2VLImageProcessor(size=size, patch_size=16, temporal_patch_size=2, merge_size=2),
        # Qwen3-VL's video budget counts the pixels of all frames: allow up to 64 full-size frames
        video_processor=Qwen3VLVideoProcessor(
            size={**size, "longest_edge": size["longest_edge"] * 64},
            patch_size=16,
            temporal_patch_size=2,
            merge_size=2,
            do_sample_frames=False,
            cap_pixels_per_frame=False,
        ),
        tokenizer=tokenizer,
        chat_template=spec.chat_template,
    )
    return config, processor


def _even_grid_patch(side: int) -> int:
    """A patch size giving an even patch grid: LLaVA-NeXT-Video pools and InternVL
    pixel-shuffles the grid 2x2, so an odd grid breaks their token counts."""
    for patch in (16, 14, 12, 8):
        if side % patch == 0 and (side // patch) % 2 == 0:
            return patch
    raise ValueError(f"image_size {side} has no even patch grid for patch sizes 16, 14, 12 or 8")


def _siglip(dims: TinySize, patch: int) -> dict:
    return {
        "model_type": "siglip_vision_model",
        "hidden_size": dims.vision_hidden_size,
        "intermediate_size": 2 * dims.vision_hidden_size,
        "num_hidden_layers": dims.vision_layers,
        "num_attention_heads": dims.vision_heads,
        "image_size": dims.image_size,
        "patch_size": patch,
    }


def _clip(dims: TinySize, patch: int) -> dict:
    return {
        "model_type": "clip_vision_model",
        "hidden_size": dims.vision_hidden_size,
        "intermediate_size": 2 * dims.vision_hidden_size,
        "num_hidden_layers": dims.vision_layers,
        "num_attention_heads": dims.vision_heads,
        "image_size": dims.image_size,
        "patch_size": patch,
        "projection_dim": dims.vision_hidden_size,
    }


def _llava_onevision(spec, tokenizer, dims):
    from transformers import LlavaOnevisionConfig, LlavaOnevisionImageProcessor, LlavaOnevisionVideoProcessor

    patch = 16
    side = dims.image_size
    config = LlavaOnevisionConfig(
        vision_config=_siglip(dims, patch),
        text_config={"model_type": "qwen2", **_text_config(dims, tokenizer)},
        image_token_index=_token_id(tokenizer, "<image>"),
        video_token_index=_token_id(tokenizer, "<video>"),
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        image_grid_pinpoints=[[side, side]],
    )
    crop = {"height": side, "width": side}
    processor = spec.resolve_processor_class()(
        image_processor=LlavaOnevisionImageProcessor(size=crop, image_grid_pinpoints=[[side, side]], do_pad=True),
        video_processor=LlavaOnevisionVideoProcessor(size=crop),
        tokenizer=tokenizer,
        num_image_tokens=(side // patch) ** 2,
        vision_feature_select_strategy="full",
        chat_template=spec.chat_template,
    )
    return config, processor


def _llava_next_video(spec, tokenizer, dims):
    from transformers import LlavaNextImageProcessor, LlavaNextVideoConfig, LlavaNextVideoVideoProcessor

    patch = _even_grid_patch(dims.image_size)
    side = dims.image_size
    config = LlavaNextVideoConfig(
        vision_config=_clip(dims, patch),
        text_config={"model_type": "llama", **_text_config(dims, tokenizer)},
        image_token_index=_token_id(tokenizer, "<image>"),
        video_token_index=_token_id(tokenizer, "<video>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
        image_grid_pinpoints=[[side, side]],
        spatial_pool_stride=2,
        image_seq_length=(side // patch) ** 2,
        video_seq_length=(side // patch // 2) ** 2 * dims.num_frames,
    )
    crop = {"height": side, "width": side}
    short = {"shortest_edge": side}
    processor = spec.resolve_processor_class()(
        image_processor=LlavaNextImageProcessor(size=short, crop_size=crop, image_grid_pinpoints=[[side, side]]),
        video_processor=LlavaNextVideoVideoProcessor(size=short, crop_size=crop),
        tokenizer=tokenizer,
        patch_size=patch,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=spec.chat_template,
    )
    return config, processor


def _video_llava(spec, tokenizer, dims):
    from transformers import VideoLlavaConfig, VideoLlavaImageProcessor, VideoLlavaVideoProcessor

    patch = 16
    side = dims.image_size
    config = VideoLlavaConfig(
        vision_config=_clip(dims, patch),
        text_config={"model_type": "llama", **_text_config(dims, tokenizer)},
        image_token_index=_token_id(tokenizer, "<image>"),
        video_token_index=_token_id(tokenizer, "<video>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
        image_seq_length=(side // patch) ** 2 + 1,
        video_seq_length=((side // patch) ** 2 + 1) * dims.num_frames,
    )
    crop = {"height": side, "width": side}
    short = {"shortest_edge": side}
    processor = spec.resolve_processor_class()(
        image_processor=VideoLlavaImageProcessor(size=short, crop_size=crop),
        video_processor=VideoLlavaVideoProcessor(size=short, crop_size=crop),
        tokenizer=tokenizer,
        patch_size=patch,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=spec.chat_template,
    )
    return config, processor


def _internvl(spec, tokenizer, dims):
    from transformers import GotOcr2ImageProcessor, InternVLConfig, InternVLVideoProcessor

    patch = _even_grid_patch(dims.image_size)
    side = dims.image_size
    config = InternVLConfig(
        vision_config={
            "hidden_size": dims.vision_hidden_size,
            "intermediate_size": 2 * dims.vision_hidden_size,
            "num_hidden_layers": dims.vision_layers,
            "num_attention_heads": dims.vision_heads,
            "image_size": [side, side],
            "patch_size": [patch, patch],
        },
        text_config={"model_type": "qwen2", **_text_config(dims, tokenizer)},
        image_token_id=_token_id(tokenizer, "<IMG_CONTEXT>"),
        image_seq_length=(side // patch // 2) ** 2,
        downsample_ratio=0.5,
    )
    crop = {"height": side, "width": side}
    processor = spec.resolve_processor_class()(
        image_processor=GotOcr2ImageProcessor(size=crop, crop_to_patches=False),
        video_processor=InternVLVideoProcessor(size=crop),
        tokenizer=tokenizer,
        image_seq_length=(side // patch // 2) ** 2,
        chat_template=spec.chat_template,
    )
    return config, processor


_BUILDERS = {
    "qwen2_vl": _qwen2_vl,
    "qwen2_5_vl": _qwen2_5_vl,
    "qwen3_vl": _qwen3_vl,
    "llava_onevision": _llava_onevision,
    "llava_next_video": _llava_next_video,
    "video_llava": _video_llava,
    "internvl": _internvl,
}
