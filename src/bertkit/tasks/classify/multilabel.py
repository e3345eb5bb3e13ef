"""Multi-label classification: any number of labels per text, one sigmoid per label.

`bertkit finetune classify --multi-label`: `BertForSequenceClassification` with
`problem_type: multi_label_classification` (binary cross-entropy on each label's logit, as
transformers does, so its text-classification pipeline with `function_to_apply="sigmoid"` reads
the saved model the same way), per-label thresholds (`thresholds.py`) and the multi-label metrics
(`metrics.multilabel_metrics`). The label set is the labels seen in training, sorted, or the
`--label-columns` in their order.
"""

from functools import partial
from pathlib import Path

import numpy as np
import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForSequenceClassification
from bertkit.tasks.batching import predict_batches
from bertkit.tasks.classify.label_sets import (
    check_labels,
    collate_label_sets,
    encode_label_sets,
    read_label_sets,
)
from bertkit.tasks.classify.metrics import multilabel_metrics
from bertkit.tasks.classify.thresholds import read_thresholds, tune_thresholds, write_thresholds
from bertkit.tasks.task import Split
from bertkit.tokenizer import WordPieceTokenizer

PROBLEM_TYPE = "multi_label_classification"


class MultiLabelTask:
    """A set of labels per row; `config` is a `ClassifyConfig` with `multi_label` set."""

    name = "classify"

    def __init__(self, config):
        self.config = config
        self.labels: list[str] = []
        self.thresholds: list[float] = []

    def _read(self, path: str, limit: int):
        config = self.config
        label_columns = [c.strip() for c in config.label_columns.split(",") if c.strip()]
        examples, _ = read_label_sets(
            path, config.columns(), label_columns, config.label_separator, limit
        )
        return examples, label_columns

    def read_train(self, tokenizer: WordPieceTokenizer) -> Split:
        examples, label_columns = self._read(self.config.train, self.config.max_train_examples)
        seen = {label for example in examples for label in example.labels}
        self.labels = label_columns or sorted(seen)
        if not self.labels:
            raise BertkitError(f"{self.config.train}: no row has a label")
        self.thresholds = [0.5] * len(self.labels)
        return self._encode(tokenizer, examples, self.config.train)

    def read_eval(self, tokenizer: WordPieceTokenizer) -> Split:
        examples, _ = self._read(self.config.eval, self.config.max_eval_examples)
        return self._encode(tokenizer, examples, self.config.eval)

    def _encode(self, tokenizer: WordPieceTokenizer, examples: list, path: str) -> Split:
        check_labels(path, examples, self.labels)
        features = encode_label_sets(tokenizer, examples, self.labels, self.config.max_seq_length)
        return Split(features, examples)

    def default_metric(self) -> str:
        # Threshold-free, so the best checkpoint does not depend on the thresholds.
        return "roc_auc_mean"

    def build_model(self) -> BertForSequenceClassification:
        return BertForSequenceClassification.from_pretrained(
            self.config.model,
            unpad=self.config.unpad,
            id2label=dict(enumerate(self.labels)),
            problem_type=PROBLEM_TYPE,
        )

    def load_model(self, path: str | Path) -> BertForSequenceClassification:
        """A fine-tuned multi-label model, its label names and its saved thresholds."""
        model = BertForSequenceClassification.from_pretrained(path)
        config = model.config
        if config.problem_type != PROBLEM_TYPE:
            raise BertkitError(
                f"{path}: not a multi-label model (problem_type {config.problem_type!r}); "
                "drop --multi-label"
            )
        self.labels = [config.id2label[i] for i in range(config.num_labels)]
        self.thresholds = read_thresholds(path, self.labels)
        return model

    def collate(self, features: list, pad_id: int) -> dict[str, torch.Tensor]:
        return collate_label_sets(features, pad_id)

    def units(self, batch: dict[str, torch.Tensor]) -> float:
        return float(batch["input_ids"].size(0))

    def score(self, model: BertForSequenceClassification, split: Split, pad_id: int):
        """The metrics on the eval rows (with thresholds tuned on them when `tune_thresholds`),
        and the predicted label set of each row."""
        logits = torch.empty(len(split.features), len(self.labels))
        collate = partial(collate_label_sets, pad_id=pad_id)
        for indices, out in predict_batches(
            model, split.features, collate, self.config.eval_batch_size
        ):
            logits[indices] = out.logits.float().cpu()
        probs = torch.sigmoid(logits).numpy()
        gold = np.asarray([f.label for f in split.features], dtype=np.int64)
        if self.config.tune_thresholds:
            self.thresholds = tune_thresholds(probs, gold)
        metrics = multilabel_metrics(probs.tolist(), gold.tolist(), self.thresholds, self.labels)
        metrics["thresholds"] = dict(zip(self.labels, self.thresholds, strict=True))
        predictions = [
            [name for name, p, t in zip(self.labels, row, self.thresholds, strict=True) if p >= t]
            for row in probs.tolist()
        ]
        return metrics, predictions

    def save_extras(self, out: Path, metrics: dict) -> None:
        """Beside the saved model: the thresholds it was scored with (the pipeline reads them)."""
        thresholds = metrics.get("thresholds") or dict(
            zip(self.labels, self.thresholds, strict=True)
        )
        write_thresholds(out, list(thresholds), list(thresholds.values()))
