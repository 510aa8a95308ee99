"""The tiny models' tokenizer: a byte-level BPE trained in-process (the `tokenizers` library) on a
small built-in corpus of the words our prompts use, carrying a family's special tokens and chat
template, with every answer letter a single token."""

from __future__ import annotations

import json

from sf2t.common.prompts import LETTERS
from sf2t.models.families import FamilySpec

_COLOURS = "red green blue yellow purple orange white black grey pink brown cyan"
_SHAPES = "circle square triangle diamond object objects shape shapes"
_ACTIONS = (
    "moves move moving left right up down rotates rotate rotating grows grow shrinks shrink changes change "
    "colour color appears appear disappears disappear falls fall off edge collides collide with another "
    "stays still slow fast slowly quickly speed playback normal reversed"
)
_QUESTION_WORDS = (
    "how many frames frame are is there in the this video clip which what where when does do did order "
    "correct incorrect identical same different differ first second last between and or of to from at "
    "a an it its shown given following sequence restore original quadrant top bottom half centre center "
    "region appear appears visible persists patch target option options letter answer with yes no true "
    "false none all both each after before then start end video's option's happens happen action effect "
    "count number numbers adjusted adjust rearrange rearrangement meaning compare comparison caption "
    "roughly something nothing some about as for on into out that than these they if has been not only "
    "more needs belong size big bigger smaller higher lower longer further quarter corner consecutive "
    "differently shuffled pasted turned turns restores adjusting taking compared temporal time"
)
_NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve sixteen"


def _corpus() -> list[str]:
    """A small built-in corpus: enough text for BPE to learn the words our prompts use."""
    words = " ".join([_COLOURS, _SHAPES, _ACTIONS, _QUESTION_WORDS, _NUMBER_WORDS])
    # each word with and without a leading space, lower-case and capitalised (sentence starts)
    lines = [words, " " + words, " ".join(w.capitalize() for w in words.split()), words.upper()]
    lines += [w.capitalize() for w in words.split()]
    lines += [f"Frame {k}: frame {k} frames {k}" for k in range(1, 65)]
    lines += [" ".join(str(k) for k in range(0, 65)), ", ".join(str(k) for k in range(0, 65))]
    lines += [f"{letter}. {letter}) ({letter}) answer {letter}" for letter in LETTERS]
    lines += ["How many frames are in the video?\nA. 4\nB. 8\nAnswer with the option's letter."] * 4
    lines += ["Is the order of the frames correct? yes no Yes No"] * 4
    return lines


def train_tokenizer(spec: FamilySpec, vocab_size: int = 512):
    """A byte-level BPE tokenizer (any text encodes) with the family's special tokens.

    Each letter A..J is a single token, both bare ("A", the first token after "assistant\\n")
    and with a leading space (" A", the first token after "ASSISTANT:"), so letter scores read
    one logit per option.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(spec.special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_corpus(), trainer)
    tokenizer = _with_spaced_letters(tokenizer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=spec.eos_token,
        pad_token=spec.pad_token,
        bos_token=spec.bos_token,
        unk_token=None,
        extra_special_tokens=dict(spec.tokenizer_attributes) or None,
    )
    fast.chat_template = spec.chat_template
    return fast


def _with_spaced_letters(tokenizer):
    """Add the merges "Ġ"+letter that training did not learn. Appended merges have the lowest
    priority, so words that start with a capital keep their own merges."""
    from tokenizers import Tokenizer

    state = json.loads(tokenizer.to_str())
    vocab, merges = state["model"]["vocab"], state["model"]["merges"]
    next_id = max(vocab.values()) + 1
    for letter in LETTERS:
        if "Ġ" + letter not in vocab:
            vocab["Ġ" + letter] = next_id
            merges.append(["Ġ", letter])
            next_id += 1
    return Tokenizer.from_str(json.dumps(state))
