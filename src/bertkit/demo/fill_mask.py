"""Fill-mask answers a reader can judge: the sentence, the word it had, each model's top 5 with
probabilities, and whether the word is among them."""

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bertkit.demo.corpus import Document
from bertkit.pipelines.fill_mask import FillMaskPipeline

# Sentences in the style of the standard library's docstrings, with the word they had. Chosen as
# typical docstring prose before any model was run on them, and never changed to make one pass.
STDLIB_FILL_MASK = [
    ("Return a new [MASK] containing the items of the iterable.", "list"),
    ("If the file does not [MASK], an error is raised.", "exist"),
    ("The default [MASK] is None.", "value"),
    ("Return True if the object is an [MASK] of the class.", "instance"),
    ("Close the [MASK] and release its resources.", "file"),
]


@dataclass
class Answer:
    token: str
    score: float


@dataclass
class FillMaskRow:
    text: str
    expected: str | None  # the word the sentence had (None for the user's own sentences)
    answers: dict[str, list[Answer]]  # model name -> top-k for the first [MASK]

    def rank(self, model: str) -> int | None:
        """1-based rank of the expected word in `model`'s answers, None when absent."""
        tokens = [a.token for a in self.answers[model]]
        return tokens.index(self.expected) + 1 if self.expected in tokens else None


def examples(sentences: list[str], documents: list[Document], has_own_corpus: bool, seed: int):
    """(text, expected word or None): the user's sentences, else built-in or corpus sentences."""
    if sentences:
        return [(text, None) for text in sentences]
    return masked_examples(documents, seed) if has_own_corpus else STDLIB_FILL_MASK


def masked_examples(documents: list[Document], seed: int) -> list[tuple[str, str]]:
    """A few sentences of the user's corpus with one longer word masked, and that word."""
    rng = random.Random(seed)
    sentences = [s for d in documents for s in d.sentences if 6 <= len(s.split()) <= 30]
    chosen = []
    for sentence in rng.sample(sentences, min(5, len(sentences))):
        words = re.findall(r"[A-Za-z]{4,}", sentence)
        if words:
            word = rng.choice(words)
            chosen.append((re.sub(rf"\b{word}\b", "[MASK]", sentence, count=1), word.lower()))
    return chosen


def ask(models: dict[str, Path], items: Sequence[tuple[str, str | None]], top_k: int):
    """Each model's top-k answers for the first [MASK] of every sentence it can read."""
    pipelines = {name: FillMaskPipeline(path) for name, path in models.items()}
    rows = []
    for text, expected in items:
        answers = {}
        for name, fill_mask in pipelines.items():
            if len(fill_mask.tokenizer.encode_batch([text])[0].input_ids) > fill_mask.max_length:
                break
            first = fill_mask(text, top_k=top_k)[0]
            answers[name] = [Answer(p.token, p.score) for p in first]
        if len(answers) == len(pipelines):
            rows.append(FillMaskRow(text, expected, answers))
    return rows


def describe(rows: list[FillMaskRow]) -> str:
    """The rows as text: the sentence and expected word, then one line of answers per model."""
    width = max(len(name) for row in rows for name in row.answers) if rows else 0
    lines = []
    for row in rows:
        lines.append(f"  {row.text}" + (f"   (expected: {row.expected})" if row.expected else ""))
        for name, answers in row.answers.items():
            shown = " | ".join(f"{a.token} {a.score:.2f}" for a in answers)
            verdict = ""
            if row.expected:
                rank = row.rank(name)
                verdict = f"   [hit, rank {rank}]" if rank else "   [miss]"
            lines.append(f"    {name:<{width}}  {shown}{verdict}")
    return "\n".join(lines)


def hits(rows: list[FillMaskRow], model: str) -> tuple[int, int]:
    """(sentences whose expected word is in `model`'s top k, sentences with an expected word)."""
    judged = [row for row in rows if row.expected]
    return sum(row.rank(model) is not None for row in judged), len(judged)
