"""Video-LLM adapters: one `VideoLLM` interface over the Hugging Face classes of several
families (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, LLaVA-OneVision, LLaVA-NeXT-Video, Video-LLaVA,
InternVL), tiny offline instances of each, loading from a hub id or a folder, and LoRA. In the
pipeline this layer turns frames and prompts into model inputs, losses, letter scores and
answers; it may import `sf2t.common` only (plus torch, transformers, tokenizers and peft), never
the video, world, task, benchmark or training layers."""

from sf2t.models.base import AnswerFormat, VideoLLM
from sf2t.models.families import FAMILIES, FamilySpec, family_for_model_type, get_family
from sf2t.models.frames import FramePlan, frames_for
from sf2t.models.inputs import IGNORE_INDEX
from sf2t.models.loading import attach_adapter, load
from sf2t.models.lora import apply_lora, lora_config, matching_modules
from sf2t.models.tiny import tiny
from sf2t.models.tiny_sizes import MINI, TinySize, tiny_size
from sf2t.models.tokenizer import train_tokenizer

__all__ = [
    "FAMILIES",
    "IGNORE_INDEX",
    "MINI",
    "AnswerFormat",
    "FamilySpec",
    "FramePlan",
    "TinySize",
    "VideoLLM",
    "apply_lora",
    "attach_adapter",
    "family_for_model_type",
    "frames_for",
    "get_family",
    "load",
    "lora_config",
    "matching_modules",
    "tiny",
    "tiny_size",
    "train_tokenizer",
]
