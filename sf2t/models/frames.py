"""The frame plan a data pipeline reads from a model (`frames_for`): the frame side a tiny model
was built for, how many frames it merges in time, and how frames referred to by number are shown."""

from __future__ import annotations

from dataclasses import dataclass

from sf2t.models.base import VideoLLM
from sf2t.models.families import FamilySpec


@dataclass(frozen=True)
class FramePlan:
    """What a data pipeline needs to know about a model's frames.

    `image_size`: the square side a tiny model was built for (decode at about that size to save
    time); None for a released checkpoint, whose processor resizes whatever it gets.
    `temporal_merge`: frames merged into one temporal token group (2 for the Qwen-VL family), so
    a count of what the model receives is ``ceil(T / temporal_merge)`` for a video.
    `numbered_as`: how frames referred to by number are shown (separate labelled images).
    """

    image_size: int | None
    temporal_merge: int
    numbered_as: str = "images preceded by 'Frame k: '"


def frames_for(llm_or_family) -> FramePlan:
    """The `FramePlan` of a `VideoLLM`, a `FamilySpec` or a family name."""
    from sf2t.models.families import get_family

    if isinstance(llm_or_family, VideoLLM):
        return FramePlan(llm_or_family.image_size, llm_or_family.temporal_merge)
    spec = llm_or_family if isinstance(llm_or_family, FamilySpec) else get_family(str(llm_or_family))
    return FramePlan(None, spec.temporal_merge)
