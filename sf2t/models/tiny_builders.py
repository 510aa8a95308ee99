"""Per-family configs and processors of the tiny models: each family's real config class at
`TinySize` sizes and its real processor set up for small frames, with the tiny vocabulary's token
ids (`BUILDERS`, one builder per family), and the config helpers they share."""

from __future__ import annotations

from sf2t.models.tiny_sizes import TinySize


def _special_ids(tokenizer) -> dict[str, int]:
    """bos/eos/pad ids of the tiny vocabulary, or the real models' defaults (~151k) would stay."""
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    return {"bos_token_id": bos, "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}


def set_text_token_ids(config, tokenizer) -> None:
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


BUILDERS = {
    "qwen2_vl": _qwen2_vl,
    "qwen2_5_vl": _qwen2_5_vl,
    "qwen3_vl": _qwen3_vl,
    "llava_onevision": _llava_onevision,
    "llava_next_video": _llava_next_video,
    "video_llava": _video_llava,
    "internvl": _internvl,
}
