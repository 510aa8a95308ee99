import pytest

from sf2t.common.prompts import option_letters, render_question


def test_render_question_with_options():
    text = render_question("What moves?", ["the circle", "the square"])
    assert text.splitlines() == ["What moves?", "A. the circle", "B. the square", "Answer with the option's letter."]


def test_render_question_without_options_is_the_question():
    assert render_question("How many?") == "How many?"


def test_option_letters_bounds():
    assert option_letters(4) == ["A", "B", "C", "D"]
    with pytest.raises(ValueError):
        option_letters(0)
    with pytest.raises(ValueError):
        option_letters(11)


def test_text_form_asks_the_question_alone_and_answers_with_the_option_words():
    from sf2t.common.prompts import correct_option, in_answer_form, record_prompt

    letter = {"question": "Is the order right?", "options": ["no", "yes"], "answer": "B"}
    text = in_answer_form(letter, "text")
    assert text["answer"] == "yes" and text["answer_form"] == "text" and text["options"] == ["no", "yes"]
    assert record_prompt(text) == "Is the order right?"
    assert record_prompt(letter) == render_question("Is the order right?", ["no", "yes"])
    assert correct_option(letter) == correct_option(text) == 1
    assert in_answer_form(text, "letter") == {**letter, "answer_form": "letter"}
    assert in_answer_form({"question": "q", "answer": "free text"}, "text") == {"question": "q", "answer": "free text"}
    with pytest.raises(ValueError, match="answer form"):
        in_answer_form(letter, "words")
