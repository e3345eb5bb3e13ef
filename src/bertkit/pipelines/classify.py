"""classify: a label and its probability per text or text pair, from a fine-tuned directory.

The label names come from the directory's config.json (`id2label`, written by `bertkit finetune`).
Decoding is `tasks/classify/decode.py`: softmax over the labels; a regression model (one output,
as STS-B) gives its score instead; a multi-label model gives each label's sigmoid.
"""

from dataclasses import dataclass

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch
from bertkit.tasks.classify.decode import predict_scores, top_k, top_labels


@dataclass
class Label:
    label: str
    score: float  # probability; the predicted value for a regression model


class ClassifyPipeline(Pipeline):
    """`classify("a gripping film")` -> Label("positive", 0.97); pairs via `pairs=`.

    Texts longer than the model's maximum are cut to it (a warning says how many).
    """

    task = "classify"
    model_class = "BertForSequenceClassification"
    required_head = "classifier"
    head_hint = "; `bertkit finetune classify` writes one"

    def __call__(
        self,
        texts: str | list[str],
        pairs: str | list[str] | None = None,
        top_k: int = 1,
    ) -> Label | list[Label] | list[list[Label]]:
        """The best label per text (or pair). With top_k > 1, the k best labels per text."""
        if top_k <= 0:
            raise BertkitError(f"top_k must be positive, got {top_k}")
        batch, is_single = as_batch(texts)
        pair_batch = None if pairs is None else as_batch(pairs)[0]
        if pair_batch is not None and len(pair_batch) != len(batch):
            raise BertkitError(f"got {len(batch)} texts but {len(pair_batch)} pairs")
        results = self.classify_encodings(self.encode_truncated(batch, pair_batch), top_k)
        if top_k == 1:
            results = [labels[0] for labels in results]
        return results[0] if is_single else results

    def classify_encodings(self, encodings: list, top_k: int) -> list[list[Label]]:
        """The `top_k` best labels of each input already tokenized and cut to `max_length` (as
        `encode_truncated` gives them): the model step of `__call__`, for callers that tokenize
        elsewhere (the server tokenizes off its model thread)."""
        return self.run_batches(encodings, lambda inputs: self._labels(inputs, top_k))

    def _labels(self, inputs: dict[str, np.ndarray], k: int) -> list[list[Label]]:
        config = self.config
        logits = self.runtime.run(inputs, ["logits"])["logits"]  # (B, L)
        if config.num_labels == 1 or config.problem_type == "regression":
            return [[Label(config.id2label[0], score)] for score in predict_scores(logits)]
        if config.problem_type == "multi_label_classification":
            probs, ids = top_k(1 / (1 + np.exp(-logits)), min(k, config.num_labels))
            return [
                [Label(config.id2label[i], p) for i, p in zip(row_ids, row_probs, strict=True)]
                for row_ids, row_probs in zip(ids.tolist(), probs.tolist(), strict=True)
            ]
        return [
            [Label(name, p) for name, p in row] for row in top_labels(logits, config.id2label, k)
        ]
