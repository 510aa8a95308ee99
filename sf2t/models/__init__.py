"""Video-LLM adapters: one `VideoLLM` interface over the Hugging Face classes of several
families (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, LLaVA-OneVision, LLaVA-NeXT-Video, Video-LLaVA,
InternVL), tiny offline instances of each, loading from a hub id or a folder, and LoRA."""

from sf2t.models.base import IGNORE_INDEX, AnswerFormat, FramePlan, VideoLLM, frames_for
from sf2t.models.families import FAMILIES, FamilySpec, family_for_model_type, get_family
from sf2t.models.loading import load
from sf2t.models.lora import apply_lora, lora_config, matching_modules
from sf2t.models.tiny import MINI, TinySize, tiny, train_tokenizer

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
    "family_for_model_type",
    "frames_for",
    "get_family",
    "load",
    "lora_config",
    "matching_modules",
    "tiny",
    "train_tokenizer",
]
