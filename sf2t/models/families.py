"""One small spec per Video-LLM family: everything that differs between the Hugging Face
classes lives here, so the shared logic in `base.py` never branches on a family name.

Frame presentation (decided here, not in the tasks):
- a plain clip goes in as one *video* through the family's video processor;
- a clip whose prompt refers to frames by number (``numbered=True``) goes in as separate
  *images*, each preceded by the text ``"Frame k: "`` (k from 1), so the model sees the number
  next to the frame it names. Every family here accepts several images per turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Chat templates for the tiny models. They reproduce the turn layout of each family's released
# checkpoint (roles, turn markers, where the visual placeholder goes), so the adapter code path is
# the one a real model takes. A real checkpoint brings its own template; these are never used then.
_QWEN2_VL_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_QWEN3_VL_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_LLAVA_OV_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }} "
    "{% if message['content'] is string %}{{ '\\n' + message['content'] }}"
    "{% else %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}<image>{% endfor %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}<video>{% endfor %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ '\\n' + content['text'] }}{% endfor %}{% endif %}<|im_end|>{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_VICUNA_TEMPLATE = (
    "{% for message in messages %}{{ message['role'].upper() + ': ' }}"
    "{% if message['content'] is string %}{{ message['content'] + ' ' }}"
    "{% else %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}<image>\n{% endfor %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}<video>\n{% endfor %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ content['text'] + ' ' }}{% endfor %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)

_INTERNVL_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<IMG_CONTEXT>\n"
    "{% elif content['type'] == 'video' %}<video>\n"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_CHATML_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
_QWEN_VISION_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")
_LLAMA_TOKENS = ("<unk>", "<s>", "</s>", "<pad>")


@dataclass(frozen=True)
class FamilySpec:
    """What one Video-LLM family needs from the shared adapter.

    `image_placeholder` is the text one image becomes in a user turn (the processor expands it
    into the image's tokens); numbered frames are written inline with it. LoRA targets are
    regexes built from `lm_module` (the language model's attribute name) and `lm_targets`, and,
    only on request, `vision_module` and `vision_targets`: the vision towers of LLaVA-style models
    have `q_proj`/`v_proj` too, so a plain name list would adapt them as well.
    """

    name: str
    model_types: tuple[str, ...]
    model_class: str
    processor_class: str
    chat_template: str
    image_placeholder: str
    special_tokens: tuple[str, ...]
    eos_token: str
    pad_token: str
    bos_token: str | None = None
    tokenizer_attributes: dict[str, str] = field(default_factory=dict)
    temporal_merge: int = 1
    lm_module: str = "language_model"
    lm_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    vision_module: str = "vision_tower"
    vision_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "out_proj")
    needs_video_metadata: bool = False
    stacks_videos: bool = False  # videos batch as one (B, T, ...) tensor: equal frame counts only
    image_kwargs: dict = field(default_factory=dict)
    note: str = ""

    def lora_pattern(self, lm_targets=None, vision_targets=None) -> str:
        """A regex (matched in full against module names) for the LoRA target modules."""
        parts = [rf".*{self.lm_module}\..*\.({'|'.join(lm_targets or self.lm_targets)})"]
        if vision_targets:
            parts.append(rf".*{self.vision_module}\..*\.({'|'.join(vision_targets)})")
        return "|".join(f"({part})" for part in parts)

    def resolve_model_class(self):
        import transformers

        return getattr(transformers, self.model_class)

    def resolve_processor_class(self):
        import transformers

        return getattr(transformers, self.processor_class)


FAMILIES: dict[str, FamilySpec] = {
    spec.name: spec
    for spec in [
        FamilySpec(
            name="qwen2_vl",
            model_types=("qwen2_vl",),
            model_class="Qwen2VLForConditionalGeneration",
            processor_class="Qwen2VLProcessor",
            chat_template=_QWEN2_VL_TEMPLATE,
            image_placeholder="<|vision_start|><|image_pad|><|vision_end|>",
            special_tokens=_CHATML_TOKENS + _QWEN_VISION_TOKENS,
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            temporal_merge=2,
            vision_module="visual",
            vision_targets=("qkv", "proj"),
            note="temporal patch 2: a video of T frames gives ceil(T/2) temporal groups",
        ),
        FamilySpec(
            name="qwen2_5_vl",
            model_types=("qwen2_5_vl",),
            model_class="Qwen2_5_VLForConditionalGeneration",
            processor_class="Qwen2_5_VLProcessor",
            chat_template=_QWEN2_VL_TEMPLATE,
            image_placeholder="<|vision_start|><|image_pad|><|vision_end|>",
            special_tokens=_CHATML_TOKENS + _QWEN_VISION_TOKENS,
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            temporal_merge=2,
            vision_module="visual",
            vision_targets=("qkv", "proj"),
        ),
        FamilySpec(
            name="qwen3_vl",
            model_types=("qwen3_vl",),
            model_class="Qwen3VLForConditionalGeneration",
            processor_class="Qwen3VLProcessor",
            chat_template=_QWEN3_VL_TEMPLATE,
            image_placeholder="<|vision_start|><|image_pad|><|vision_end|>",
            special_tokens=_CHATML_TOKENS + _QWEN_VISION_TOKENS,
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            temporal_merge=2,
            vision_module="visual",
            vision_targets=("qkv", "proj"),
            needs_video_metadata=True,
            note="per-frame-pair timestamps in the prompt, computed from the clip's fps",
        ),
        FamilySpec(
            name="llava_onevision",
            model_types=("llava_onevision",),
            model_class="LlavaOnevisionForConditionalGeneration",
            processor_class="LlavaOnevisionProcessor",
            chat_template=_LLAVA_OV_TEMPLATE,
            image_placeholder="<image>",
            special_tokens=_CHATML_TOKENS + ("<image>", "<video>"),
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            stacks_videos=True,
        ),
        FamilySpec(
            name="llava_next_video",
            model_types=("llava_next_video",),
            model_class="LlavaNextVideoForConditionalGeneration",
            processor_class="LlavaNextVideoProcessor",
            chat_template=_VICUNA_TEMPLATE,
            image_placeholder="<image>",
            special_tokens=_LLAMA_TOKENS + ("<image>", "<video>"),
            eos_token="</s>",
            pad_token="<pad>",
            bos_token="<s>",
            stacks_videos=True,
        ),
        FamilySpec(
            name="video_llava",
            model_types=("video_llava",),
            model_class="VideoLlavaForConditionalGeneration",
            processor_class="VideoLlavaProcessor",
            chat_template=_VICUNA_TEMPLATE,
            image_placeholder="<image>",
            special_tokens=_LLAMA_TOKENS + ("<image>", "<video>"),
            eos_token="</s>",
            pad_token="<pad>",
            bos_token="<s>",
            vision_module="(image_tower|video_tower)",
            image_kwargs={"return_legacy_image_output": False},
            stacks_videos=True,
        ),
        FamilySpec(
            name="internvl",
            model_types=("internvl",),
            model_class="InternVLForConditionalGeneration",
            processor_class="InternVLProcessor",
            chat_template=_INTERNVL_TEMPLATE,
            image_placeholder="<IMG_CONTEXT>",
            special_tokens=_CHATML_TOKENS + ("<img>", "</img>", "<IMG_CONTEXT>", "<video>"),
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            tokenizer_attributes={
                "start_image_token": "<img>",
                "end_image_token": "</img>",
                "context_image_token": "<IMG_CONTEXT>",
                "video_token": "<video>",
            },
            vision_targets=("q_proj", "k_proj", "v_proj", "projection_layer"),
            note="its video prompt already reads 'Frame1: <img>...'; numbered prompts still use images",
        ),
    ]
}


def get_family(name: str) -> FamilySpec:
    """The spec for `name`, or a ValueError listing the known families."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown model family {name!r}; known families: {', '.join(sorted(FAMILIES))}") from None


def family_for_model_type(model_type: str, where: str = "config") -> FamilySpec:
    """The family whose checkpoints carry `config.model_type == model_type`."""
    for spec in FAMILIES.values():
        if model_type in spec.model_types:
            return spec
    known = sorted(t for spec in FAMILIES.values() for t in spec.model_types)
    raise ValueError(
        f"{where}: model_type {model_type!r} matches no supported Video-LLM family; supported model types: "
        f"{', '.join(known)}"
    )
