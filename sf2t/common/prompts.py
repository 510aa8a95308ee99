"""How questions with options are written: one rendering shared by tasks, benchmark,
training and evaluation, so a model is trained and scored on the same prompt shape."""

from __future__ import annotations

from collections.abc import Sequence

LETTERS = "ABCDEFGHIJ"


def option_letters(n: int) -> list[str]:
    if not 1 <= n <= len(LETTERS):
        raise ValueError(f"between 1 and {len(LETTERS)} options are supported, got {n}")
    return list(LETTERS[:n])


def render_question(question: str, options: Sequence[str] | None = None) -> str:
    """The question, then one ``"A. option"`` line per option and an instruction to
    answer with the letter."""
    if not options:
        return question
    lines = [question]
    lines += [f"{letter}. {opt}" for letter, opt in zip(option_letters(len(options)), options, strict=True)]
    lines.append("Answer with the option's letter.")
    return "\n".join(lines)
