"""How a model's free-text answer is read back as an option letter: the one deterministic,
tested extractor that evaluation and the lmms-eval export share."""

from __future__ import annotations


def extract_letter(text, letters="ABCD", options=None):
    """The option letter a free-text reply commits to, or None.

    Deterministic rules, in order: (1) the whole reply is a letter ("C", "(c)", "B.");
    (2) the reply starts with a letter and a delimiter or a space ("C. Because ...", "B because
    ..."), unless it goes on to a second letter ("A or B", "A, B") or the "A" is the article
    ("A red circle ..."); (3) explicit statements ("The answer is (C).", "Answer: c", "option
    B"), which must agree; (4) a single capital letter standing alone anywhere; (5) if
    ``options`` are given, the one option whose text the reply contains. Lowercase letters
    count only where they cannot be an English word ("a", "i" never followed by a word).
    Several different letters, or none, give None. Self-contained (only ``re``), so the
    lmms-eval export embeds this exact source.
    """
    import re

    if text is None:
        return None
    valid = [str(x).upper() for x in letters]
    t = re.sub(r"[*_`#]+", "", str(text)).strip().strip("\"'").strip()
    t = re.sub(r"\bN/A\b", " ", t, flags=re.I).strip()
    if not t:
        return None
    not_article = {
        "and",
        "or",
        "because",
        "since",
        "as",
        "is",
        "was",
        "seems",
        "would",
        "should",
        "looks",
        "appears",
        "-",
        "\u2013",
    }

    def word_follows(pos):
        """The lowercase word after ``t[pos:]``'s leading spaces, if any."""
        m = re.match(r"\s+([a-z]+|[-\u2013])", t[pos:])
        return m.group(1) if m else None

    def is_word(letter, pos):
        """Whether the letter ending at ``pos`` reads as an English word ("A red", "a lot")."""
        nxt = word_follows(pos)
        if letter in "aAiI" and nxt is not None and nxt not in not_article:
            return True
        return letter.islower() and nxt is not None and letter in "ai"

    # (1) the whole reply is one letter
    m = re.fullmatch(r"[(\[]?([A-Za-z])[)\]]?[.:!]?", t)
    if m:
        c = m.group(1).upper()
        return c if c in valid else None
    # (2) a leading letter
    m = re.match(r"[(\[]?([A-Za-z])(?=[)\]:.,]|\s)", t)
    if m and m.group(1).upper() in valid and not is_word(m.group(1), m.end()):
        c = m.group(1).upper()
        rest = t[m.end() :]
        second = re.match(r"[)\]:.,]?\s*(?:,|/|&|\bor\b|\band\b)?\s*[(\[]?([A-Z])(?=[)\]:.,]|\s|$)", rest)
        if second and second.group(1) in valid and second.group(1) != c:
            if not is_word(second.group(1), m.end() + second.end()):
                return None
        return c
    # (3) explicit statements
    found = []
    pattern = (
        r"\b(?:answer|option|choice)\b(?:\s*(?:is|:|=|would be|should be|must be))*\s*"
        r"[(\[]?([A-Za-z])[)\]]?(?=$|[\s.,;:!?)\]])"
    )
    for m in re.finditer(pattern, t, flags=re.I):
        c = m.group(1)
        if c.islower() and word_follows(m.end()) is not None:
            continue  # "the answer is a red circle"
        if is_word(c, m.end()):
            continue
        if c.upper() in valid:
            found.append(c.upper())
    if found:
        return found[0] if len(set(found)) == 1 else None
    # (4) one capital letter standing alone
    alone = {
        m.group(1)
        for m in re.finditer(r"(?<![A-Za-z0-9'])([A-Z])(?![A-Za-z0-9'])", t)
        if m.group(1) in valid and not is_word(m.group(1), m.end())
    }
    if len(alone) == 1:
        return alone.pop()
    if len(alone) > 1:
        return None
    # (5) the text of exactly one option
    if options:
        low = t.lower()
        hits = [
            valid[i]
            for i, opt in enumerate(options)
            if i < len(valid) and str(opt).strip() and str(opt).strip().lower() in low
        ]
        if len(hits) == 1:
            return hits[0]
    return None
