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


#: How a record's answer is written: its option's letter, or its option's own words (the cloze
#: formulation, which models of a few million parameters can learn; letters need ~1B parameters).
ANSWER_FORMS = ("letter", "text")


def record_prompt(record) -> str:
    """The prompt a record is trained and scored with: in letter form the question with its
    lettered options, in text form the question alone (the answer is the option's words)."""
    if record.get("answer_form", "letter") == "text":
        return record["question"]
    return render_question(record["question"], record.get("options"))


def correct_option(record) -> int:
    """The index of the correct option of a multiple-choice record, in either answer form."""
    options = record["options"]
    if record.get("answer_form", "letter") == "text":
        return list(options).index(record["answer"])
    return option_letters(len(options)).index(record["answer"])


def in_answer_form(record, form: str) -> dict:
    """``record`` answering in ``form``: the same question, frames and options (kept for scoring),
    with ``answer`` the option's letter or its text. A record without options is returned as it is."""
    if form not in ANSWER_FORMS:
        raise ValueError(f"unknown answer form {form!r}; choose one of {ANSWER_FORMS}")
    if not record.get("options") or record.get("answer_form", "letter") == form:
        return dict(record)
    k = correct_option(record)
    answer = record["options"][k] if form == "text" else option_letters(len(record["options"]))[k]
    return {**record, "answer": answer, "answer_form": form}
