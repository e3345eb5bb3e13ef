"""summarize: an extractive summary, the K sentences of a text that best stand for it.

The method is centrality with a redundancy penalty, chosen greedily as maximal marginal
relevance (Carbonell & Goldstein 1998) chooses passages:

1. the text is split into sentences (`bertkit.pipelines.sentences`), each embedded by the embed
   pipeline and made unit length;
2. a sentence's centrality is its cosine with the document's centroid (the mean of the unit
   sentence vectors): how much of what the whole text says it says;
3. sentences are picked one at a time, each time the one with the highest
   `(1 - diversity) * centrality - diversity * max cosine with a sentence already picked`,
   so that a sentence repeating a chosen one loses to a central sentence saying something else
   (diversity 0 is pure centrality; the default 0.3);
4. the K picked sentences are returned in document order, with their character offsets.

K is `sentences`, or `ratio` of the text's sentences (rounded, at least 1).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import as_batch
from bertkit.pipelines.embed import EmbedPipeline, unit
from bertkit.pipelines.sentences import split_sentences

DEFAULT_SENTENCES = 3
DEFAULT_DIVERSITY = 0.3


@dataclass
class SummarySentence:
    """A chosen sentence: `document[start:end] == text`; `index` is its number among the
    document's sentences (0-based) and `score` its centrality."""

    text: str
    start: int
    end: int
    index: int
    score: float


def summary_size(num_sentences: int, sentences: int | None, ratio: float | None) -> int:
    """K for a text of `num_sentences` sentences; an error for a text too short to summarise."""
    if sentences is not None and ratio is not None:
        raise BertkitError("give the summary's size as sentences or as a ratio, not both")
    if num_sentences < 2:
        found = "no sentence" if num_sentences == 0 else "one sentence"
        raise BertkitError(f"the text has {found}; a summary needs at least two to choose from")
    if ratio is not None:
        if not 0 < ratio < 1:
            raise BertkitError(f"ratio must be between 0 and 1, got {ratio}")
        return max(1, round(ratio * num_sentences))
    k = DEFAULT_SENTENCES if sentences is None else sentences
    if k < 1:
        raise BertkitError(f"sentences must be at least 1, got {k}")
    return min(k, num_sentences)


def choose_sentences(vectors: np.ndarray, k: int, diversity: float) -> tuple[list[int], np.ndarray]:
    """The indices of `k` sentences (document order) chosen from their (N, C) vectors by
    centrality with a redundancy penalty, and every sentence's centrality (N,)."""
    vectors = unit(vectors.astype(np.float64))
    centroid = unit(vectors.mean(axis=0))
    centrality = vectors @ centroid  # (N,)
    similarity = vectors @ vectors.T  # (N, N)
    chosen: list[int] = []
    redundancy = np.full(len(vectors), -np.inf)  # max cosine with a chosen sentence
    for _ in range(min(k, len(vectors))):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        gain = (1 - diversity) * centrality - diversity * penalty
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))  # ties go to the earlier sentence
        chosen.append(best)
        redundancy = np.maximum(redundancy, similarity[best])
    return sorted(chosen), centrality


class SummarizePipeline(EmbedPipeline):
    """`summarize(text)` -> its K most representative sentences, in document order.

    Args:
        sentences: K, the summary's length in sentences (default 3), or
        ratio: K as a share of the text's sentences.
        diversity: weight of the redundancy penalty in [0, 1] (default 0.3).
        Other options as `EmbedPipeline` (the embedding's pooling, layer, ...).
    """

    task = "summarize"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        sentences: int | None = None,
        ratio: float | None = None,
        diversity: float = DEFAULT_DIVERSITY,
        **options,
    ):
        if not 0 <= diversity <= 1:
            raise BertkitError(f"diversity must be in [0, 1], got {diversity}")
        summary_size(2, sentences, ratio)  # check the size options once, here
        super().__init__(model_dir, **options)
        self.sentences, self.ratio, self.diversity = sentences, ratio, diversity

    def __call__(self, texts: str | list[str]) -> list:  # type: ignore[override]
        """The summary of one text (a list of `SummarySentence`), or one summary per text."""
        batch, is_single = as_batch(texts)
        splits = [split_sentences(text) for text in batch]
        sizes = [summary_size(len(s), self.sentences, self.ratio) for s in splits]
        flat = [sentence.text for sentences in splits for sentence in sentences]
        vectors = super().__call__(flat) if flat else np.zeros((0, self.dimension))
        summaries, position = [], 0
        for sentences, k in zip(splits, sizes, strict=True):
            rows = vectors[position : position + len(sentences)]
            position += len(sentences)
            chosen, centrality = choose_sentences(rows, k, self.diversity)
            summaries.append(
                [
                    SummarySentence(s.text, s.start, s.end, i, float(centrality[i]))
                    for i, s in ((i, sentences[i]) for i in chosen)
                ]
            )
        return summaries[0] if is_single else summaries
