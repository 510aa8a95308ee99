"""Cloze formulations: which option a model chooses when each option's own words are scored as
the answer, under each normalisation, and the visual PMI that asks what the video adds.

A cloze record keeps, per option (in the item's order), the summed log-probability of its
answer tokens with the video (``logprob``), their ``tokens`` and the option's ``chars``; the
blind run keeps the same with black frames. Every formulation is recomputed from those numbers,
so the committed records reproduce every accuracy offline:

- ``cloze_none``: the largest log-probability (lm-evaluation-harness ``acc``);
- ``cloze_token``: log-probability per token;
- ``cloze_char``: log-probability per character (``acc_norm``; OLMES's cloze formulation);
- ``pmi``: log P(option | video, question) − log P(option | black frames, question), the option
  the video makes most likely (``acc_mutual_info`` with the blind prompt as the reference).

Ties go to the first option, as with letters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sf2t.common.prompts import option_letters

NORMALIZATIONS = ("none", "token", "char")
FORMULATIONS = ("cloze_none", "cloze_token", "cloze_char", "pmi")


def cloze_values(cloze: dict[str, Sequence[float]], normalization: str) -> np.ndarray:
    """Each option's score under ``normalization``."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; choose one of {NORMALIZATIONS}")
    logprob = np.asarray(cloze["logprob"], dtype=float)
    if normalization == "token":
        return logprob / np.maximum(np.asarray(cloze["tokens"], dtype=float), 1)
    if normalization == "char":
        return logprob / np.maximum(np.asarray(cloze["chars"], dtype=float), 1)
    return logprob


def choice(name: str, cloze: dict[str, Any], blind_cloze: dict[str, Any] | None = None) -> int | None:
    """The index of the option formulation ``name`` picks (None for ``pmi`` without a blind record)."""
    if name == "pmi":
        if blind_cloze is None:
            return None
        values = np.asarray(cloze["logprob"], dtype=float) - np.asarray(blind_cloze["logprob"], dtype=float)
    elif name.startswith("cloze_"):
        values = cloze_values(cloze, name.removeprefix("cloze_"))
    else:
        raise ValueError(f"unknown formulation {name!r}; choose one of {FORMULATIONS}")
    return int(np.argmax(values))


def choice_letter(name: str, cloze: dict[str, Any], blind_cloze: dict[str, Any] | None = None) -> str | None:
    k = choice(name, cloze, blind_cloze)
    return None if k is None else option_letters(len(cloze["logprob"]))[k]


def formulation_accuracy(
    items: Sequence[dict[str, Any]],
    records: dict[str, dict[str, Any]],
    blind_records: dict[str, dict[str, Any]] | None,
    groups: dict[str, Any],
) -> dict[str, Any]:
    """Accuracy of every formulation over each group (``groups``: name -> item predicate), from
    cloze records; ``pmi`` needs ``blind_records`` and is left out without them."""
    names = [f for f in FORMULATIONS if f != "pmi" or blind_records]
    scored = [it for it in items if it["id"] in records and "cloze" in records[it["id"]]]
    right: dict[str, dict[str, bool]] = {f: {} for f in names}
    for it in scored:
        rec = records[it["id"]]
        blind = (blind_records or {}).get(it["id"], {}).get("cloze")
        for f in names:
            if f == "pmi" and blind is None:
                continue
            right[f][it["id"]] = choice_letter(f, rec["cloze"], blind) == it["answer"]
    out: dict[str, Any] = {}
    for group, keep in groups.items():
        members = [it["id"] for it in scored if keep(it)]
        out[group] = {
            f: (round(float(np.mean([right[f][i] for i in members if i in right[f]])), 6) if members else None)
            for f in names
        }
    return out
