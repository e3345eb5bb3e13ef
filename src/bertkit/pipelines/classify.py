"""classify: a label and its probability per text or text pair, from a fine-tuned directory.

The label names come from the directory's config.json (`id2label`, written by `bertkit finetune`).
Decoding is `tasks/classify/decode.py`: softmax over the labels; a regression model (one output,
as STS-B) gives its score instead; a multi-label model (`problem_type:
multi_label_classification`) gives every label whose sigmoid reaches its threshold (the
directory's thresholds.json, written by `bertkit finetune classify --multi-label`, else 0.5).
"""

from dataclasses import dataclass

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch
from bertkit.tasks.classify.decode import predict_scores, top_k, top_labels
from bertkit.tasks.classify.thresholds import read_thresholds


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

    def __init__(self, model_dir, **options):
        super().__init__(model_dir, **options)
        config = self.config
        self.is_multi_label = config.problem_type == "multi_label_classification"
        labels = [config.id2label[i] for i in range(config.num_labels)]
        # Multi-label: each label's decision threshold (thresholds.json, else 0.5).
        self.thresholds = read_thresholds(self.model_dir, labels) if self.is_multi_label else []

    def __call__(
        self,
        texts: str | list[str],
        pairs: str | list[str] | None = None,
        top_k: int = 1,
        threshold: float | None = None,
    ) -> Label | list[Label] | list[list[Label]]:
        """The best label per text (or pair). With top_k > 1, the k best labels per text.

        A multi-label model gives a list per text instead: every label whose probability reaches
        its threshold, most likely first (`threshold` replaces every label's; 0 lists them all),
        and `top_k` is not used."""
        if top_k <= 0:
            raise BertkitError(f"top_k must be positive, got {top_k}")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise BertkitError(f"threshold must be in [0, 1], got {threshold}")
        batch, is_single = as_batch(texts)
        pair_batch = None if pairs is None else as_batch(pairs)[0]
        if pair_batch is not None and len(pair_batch) != len(batch):
            raise BertkitError(f"got {len(batch)} texts but {len(pair_batch)} pairs")
        encodings = self.encode_truncated(batch, pair_batch)
        results = self.classify_encodings(encodings, top_k, threshold)
        if top_k == 1 and not self.is_multi_label:
            results = [labels[0] for labels in results]
        return results[0] if is_single else results

    def classify_encodings(
        self, encodings: list, top_k: int, threshold: float | None = None
    ) -> list[list[Label]]:
        """The `top_k` best labels of each input already tokenized and cut to `max_length` (as
        `encode_truncated` gives them), or a multi-label model's labels above their thresholds:
        the model step of `__call__`, for callers that tokenize elsewhere (the server tokenizes
        off its model thread)."""
        return self.run_batches(encodings, lambda inputs: self._labels(inputs, top_k, threshold))

    def _labels(
        self, inputs: dict[str, np.ndarray], k: int, threshold: float | None
    ) -> list[list[Label]]:
        config = self.config
        logits = self.runtime.run(inputs, ["logits"])["logits"]  # (B, L)
        if self.is_multi_label:
            probs = 1 / (1 + np.exp(-logits.astype(np.float64)))  # (B, L) sigmoid
            cut = self.thresholds if threshold is None else [threshold] * config.num_labels
            values, ids = top_k(probs, config.num_labels)  # every label, most likely first
            return [
                [
                    Label(config.id2label[i], float(p))
                    for i, p in zip(row_ids, row_probs, strict=True)
                    if p >= cut[i]
                ]
                for row_ids, row_probs in zip(ids.tolist(), values.tolist(), strict=True)
            ]
        if config.num_labels == 1 or config.problem_type == "regression":
            return [[Label(config.id2label[0], score)] for score in predict_scores(logits)]
        return [
            [Label(name, p) for name, p in row] for row in top_labels(logits, config.id2label, k)
        ]
