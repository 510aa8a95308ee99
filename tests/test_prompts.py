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
