"""The training loss, computed on the answer positions alone.

A model's own ``labels`` loss projects every position of the batch onto the vocabulary (the
language-model head, then a log-softmax over it) and throws away all but the few positions that
predict an answer token: at mini scale that is most of a sequence (the prompt, the frames'
tokens, the padding); reading the logits at the answer positions alone made a mini step
0.88-0.94x as long (`results/perf/train.json`, ``step_profile``). `answer_loss` asks the model
for the logits at the positions some clip of the batch needs (``logits_to_keep``, which every
supported family takes) and computes
the same loss the model would: labels shifted by one, float32 logits, the mean cross-entropy over
the labelled tokens. The value agrees with ``model(**batch).loss`` to float rounding (different
matrix shapes round differently); a run stays bit-for-bit reproducible.
"""

from __future__ import annotations

import torch

from sf2t.models.inputs import IGNORE_INDEX


def answer_positions(labels: torch.Tensor) -> torch.Tensor:
    """Positions ``t`` whose next token is labelled in some row: the logits the loss reads."""
    return (labels[:, 1:] != IGNORE_INDEX).any(dim=0).nonzero().squeeze(1)


def answer_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy of ``model`` over the labelled tokens of ``batch`` (which holds ``labels``),
    the loss ``model(**batch).loss`` computes, with logits at the answer positions only."""
    labels = batch["labels"]
    keep = answer_positions(labels)
    inputs = {key: value for key, value in batch.items() if key != "labels"}
    logits = model(**inputs, logits_to_keep=keep, use_cache=False).logits
    targets = labels[:, 1:][:, keep]
    return torch.nn.functional.cross_entropy(
        logits.float().flatten(0, 1), targets.flatten().to(logits.device), ignore_index=IGNORE_INDEX
    )
