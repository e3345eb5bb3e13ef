"""ner: entities as {text, type, start, end, score}, with character offsets into the input.

A text of any length is read in overlapping windows; each token takes its logits from the window
where it sits farthest from an edge (the "max context" rule of BERT's `run_squad.py`). Then, as in
fine-tuning (`tasks/ner/decode.py`), each word is labelled on its first sub-token, the tags are
repaired to BIO and chunked into entities, whose span runs from the first character of their
first word to the last character of their last word: `text[start:end]` is the entity.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch
from bertkit.tasks.classify.decode import softmax
from bertkit.tasks.ner.decode import decode_entities, word_label_ids
from bertkit.tokenizer import Encoding


@dataclass
class Entity:
    text: str  # input[start:end]
    type: str  # PER, LOC, ... (the label without its B-/I- prefix)
    start: int  # first character
    end: int  # one past the last character
    score: float  # mean over the entity's words of the probability of their label


class NerPipeline(Pipeline):
    """`ner("Angela Merkel visited Paris.")` -> [Entity("Angela Merkel", "PER", 0, 13, ...), ...].

    Args:
        stride: tokens shared by consecutive windows of a long text; None is a quarter window.
        Other options as `Pipeline`.
    """

    task = "ner"
    model_class = "BertForTokenClassification"
    required_head = "classifier"
    head_hint = "; `bertkit finetune ner` writes one"

    def __init__(self, model_dir: str | Path, *, stride: int | None = None, **options):
        super().__init__(model_dir, **options)
        room = self.max_length - 2  # tokens of text per window, besides [CLS] and [SEP]
        self.stride = room // 4 if stride is None else stride
        if not 0 <= self.stride < room:
            raise BertkitError(f"stride must be in 0..{room - 1} for max_length {self.max_length}")
        label2id = self.config.label2id
        self.outside_id = label2id.get("O", 0)

    def __call__(self, texts: str | list[str]) -> list[Entity] | list[list[Entity]]:
        """The entities of each text, in text order; a text without any gives []."""
        batch, is_single = as_batch(texts)
        results = self.entities_from_windows(batch, self.encode_windows(batch))
        return results[0] if is_single else results

    def encode_windows(self, texts: list[str]) -> list[list[Encoding]]:
        """Each text's windows, in order (tokenizing only: the half of the work that needs no
        model, which a server does off its model thread)."""
        windows = self.tokenizer.encode_batch(
            texts, max_length=self.max_length, stride=self.stride, return_overflowing=True
        )
        by_text: list[list[Encoding]] = [[] for _ in texts]
        for window in windows:
            by_text[window.overflow_to_sample].append(window)
        return by_text

    def entities_from_windows(
        self, texts: list[str], windows: list[list[Encoding]]
    ) -> list[list[Entity]]:
        """The entities of each text from its windows (`encode_windows`): the model's half."""
        flat = [window for text_windows in windows for window in text_windows]
        logits = iter(self.run_batches(flat, self._logits))
        return [
            self._entities(text, [(window, next(logits)) for window in text_windows])
            for text, text_windows in zip(texts, windows, strict=True)
        ]

    def _logits(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        return list(self.runtime.run(inputs, ["logits"])["logits"])  # B x (T, L)

    def _entities(self, text: str, parts: list[tuple[Encoding, np.ndarray]]) -> list[Entity]:
        logits, word_ids, offsets = self._merge_windows(parts)
        if not word_ids:
            return []
        num_words = max(word_ids) + 1
        label_ids = word_label_ids(logits, word_ids, num_words, self.outside_id)
        first: dict[int, int] = {}  # word -> its first token, where its label is read
        last: dict[int, int] = {}
        for position, word in enumerate(word_ids):
            first.setdefault(word, position)
            last[word] = position
        spans = [
            (offsets[first[w]][0], offsets[last[w]][1]) if w in first else (0, 0)
            for w in range(num_words)
        ]
        probs = softmax(logits)  # (S, L)
        scores = [
            float(probs[first[w], label_ids[w]]) if w in first else 0.0 for w in range(num_words)
        ]
        words = [text[start:end] for start, end in spans]
        tags = [self.config.id2label[i] for i in label_ids]
        entities = []
        for chunk in decode_entities(words, tags):
            start, end = spans[chunk.start][0], spans[chunk.end][1]
            score = sum(scores[chunk.start : chunk.end + 1]) / (chunk.end - chunk.start + 1)
            entities.append(Entity(text[start:end], chunk.type, start, end, score))
        return entities

    def _merge_windows(
        self, parts: list[tuple[Encoding, np.ndarray]]
    ) -> tuple[np.ndarray, list[int], list[tuple[int, int]]]:
        """(S, L) logits, word ids and offsets of the text's S tokens, each token's logits taken
        from the window where it has the most context on both sides."""
        step = self.max_length - 2 - self.stride  # window k starts at token k * step
        best: dict[int, tuple[int, int, int]] = {}  # position -> (context, window, token)
        for k, (window, _) in enumerate(parts):
            inside = [t for t, word in enumerate(window.word_ids) if word is not None]
            for n, t in enumerate(inside):
                context = min(n, len(inside) - 1 - n)
                position = k * step + n
                if position not in best or context > best[position][0]:
                    best[position] = (context, k, t)
        chosen = [best[position][1:] for position in range(len(best))]
        if not chosen:
            return np.empty(0), [], []
        logits = np.stack([parts[k][1][t] for k, t in chosen])
        word_ids = [cast(int, parts[k][0].word_ids[t]) for k, t in chosen]  # inside: not None
        offsets = [parts[k][0].offsets[t] for k, t in chosen]
        return logits, word_ids, offsets
