"""next-sentence: the probability that sentence B follows sentence A, and ranking continuations.

The model is the next-sentence head of pretraining (Devlin et al. 2018, section 3.1, task #2): a
2-way softmax on the pooled [CLS] vector of "[CLS] A [SEP] B [SEP]", index 0 = "B follows A"
(`BertForNextSentencePrediction`, the head `cls.seq_relationship` of any pretraining checkpoint).
"""

from dataclasses import dataclass

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch
from bertkit.tasks.classify.decode import softmax


@dataclass
class NextSentence:
    score: float  # probability that B follows A
    is_next: bool  # score > 0.5: the model's answer


@dataclass
class Continuation:
    index: int  # position among the candidates given
    text: str
    score: float  # probability that this candidate follows the first text


class NextSentencePipeline(Pipeline):
    """`next_sentence("He went to the store.", "He bought milk.")` -> NextSentence(0.98, True);
    `rank(first, candidates)` orders candidate continuations, most likely first.

    A pair longer than the model's maximum is cut, longest sentence first (a warning says how
    many), as pretraining cuts its pairs.
    """

    task = "next-sentence"
    model_class = "BertForNextSentencePrediction"
    required_head = "next-sentence"
    head_hint = "; a checkpoint of `bertkit pretrain` with next-sentence prediction has one"

    def __call__(
        self, texts: str | list[str], pairs: str | list[str]
    ) -> NextSentence | list[NextSentence]:
        """For each (A, B): the probability that B follows A."""
        batch, is_single = as_batch(texts)
        pair_batch = as_batch(pairs)[0]
        if len(pair_batch) != len(batch):
            raise BertkitError(f"got {len(batch)} first sentences but {len(pair_batch)} second")
        if not batch:
            return []
        scores = self.score_encodings(self.encode_truncated(batch, pair_batch))
        results = [NextSentence(s, s > 0.5) for s in scores]
        return results[0] if is_single else results

    def rank(
        self, first: str, candidates: list[str], top_k: int | None = None
    ) -> list[Continuation]:
        """The candidates ranked by the probability that each follows `first` (the first given
        wins a tie); `top_k` keeps the best k."""
        if not candidates:
            raise BertkitError("rank needs at least one candidate continuation")
        if top_k is not None and top_k <= 0:
            raise BertkitError(f"top_k must be positive, got {top_k}")
        scores = self.score_encodings(self.encode_truncated([first] * len(candidates), candidates))
        order = np.argsort(-np.asarray(scores), kind="stable")[:top_k]
        return [Continuation(int(i), candidates[i], scores[i]) for i in order]

    def score_encodings(self, encodings: list) -> list[float]:
        """P(B follows A) for pairs already tokenized and cut to `max_length`: the model step,
        for callers that tokenize elsewhere (the server)."""
        return self.run_batches(encodings, self._scores)

    def _scores(self, inputs: dict[str, np.ndarray]) -> list[float]:
        logits = self.runtime.run(inputs, ["logits"])["logits"]  # (B, 2)
        return softmax(logits.astype(np.float32))[:, 0].tolist()
