"""From token logits to entities: first sub-token per word, BIO repair, and chunking into spans.

Pure functions, tested on hand-made logits and reused by the pipelines. `to_bio` also converts the
IOB1 tags CoNLL-2003 is distributed with: in both cases an `I-X` that does not continue an `X`
chunk opens one, so it becomes `B-X` (the same reading conlleval gives it).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bertkit.tasks.ner.metrics import extract_chunks, split_tag


def to_bio(tags: list[str]) -> list[str]:
    """IOB1 (or an invalid BIO sequence from a model) -> valid BIO: `I-X` after anything but an
    `X` chunk becomes `B-X`."""
    bio, prev_type = [], ""
    for tag in tags:
        prefix, kind = split_tag(tag)
        if prefix == "I" and kind != prev_type:
            prefix = "B"
        bio.append("O" if prefix == "O" else f"{prefix}-{kind}")
        prev_type = kind
    return bio


def word_label_ids(
    token_logits, word_ids: Sequence[int | None], num_words: int, default: int
) -> list[int]:
    """One label id per word, read on the word's first sub-token.

    Args:
        token_logits: (T, L) logits of one window (numpy, or a CPU tensor).
        word_ids: per token, the word it belongs to (None for specials and padding).
        num_words: words in the sentence; a word with no token here gets `default`.
    """
    best = np.asarray(token_logits).argmax(axis=-1).tolist()  # (T,)
    labels, seen = [default] * num_words, set()
    for position, word in enumerate(word_ids):
        if word is not None and word not in seen:
            seen.add(word)
            labels[word] = best[position]
    return labels


@dataclass
class Entity:
    type: str
    start: int  # first word
    end: int  # last word, inclusive
    text: str  # the words joined by single spaces


def decode_entities(words: list[str], tags: list[str]) -> list[Entity]:
    """The entities of one sentence after BIO repair, in order."""
    return [
        Entity(kind, start, end, " ".join(words[start : end + 1]))
        for kind, start, end in extract_chunks(to_bio(tags))
    ]
