"""How a FineVidBench item is put to a model: its prompt, its options rotated for circular
evaluation, and the letter read on a rotated question mapped back to the original options.

Circular evaluation asks every rotation of the options; an item counts as right only if every
rotation is (a model that prefers a letter cannot pass by that preference).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sf2t.common.prompts import option_letters, render_question


def rotate_item(item: dict[str, Any], shift: int) -> tuple[list[str], str]:
    """Options rotated left by ``shift`` and the answer letter that follows the answer."""
    options = list(item["options"])
    m = len(options)
    k = shift % m
    rotated = options[k:] + options[:k]
    answer_idx = option_letters(m).index(item["answer"])
    return rotated, option_letters(m)[(answer_idx - k) % m]


def item_prompt(item: dict[str, Any], options: Sequence[str] | None = None) -> str:
    return render_question(item["question"], list(item["options"] if options is None else options))


def _shifts(item: dict[str, Any], circular: bool) -> list[int]:
    return list(range(len(item["options"]))) if circular else [0]


def _to_original(letter: str | None, shift: int, m: int) -> str | None:
    """A letter read on a rotated question, written as the letter of the same option text in
    the original order."""
    if letter is None:
        return None
    return option_letters(m)[(option_letters(m).index(letter) + shift) % m]
