"""Sentence(-pair) classification and regression: the config and the task.

The model is `BertForSequenceClassification` on the [CLS] vector (Devlin et al. 2018, figure 4a,
b); regression (one output, MSE) is chosen when the labels are real numbers, as STS-B's scores.
With `multi_label`, the task is `MultiLabelTask` (multilabel.py): a set of labels per row.
"""

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForSequenceClassification
from bertkit.tasks.batching import predict_batches
from bertkit.tasks.classify.data import (
    Columns,
    collate,
    encode_examples,
    is_regression,
    label_names,
    read_examples,
)
from bertkit.tasks.classify.decode import predict_label_ids, predict_scores
from bertkit.tasks.classify.labels import label_ids, name_labels
from bertkit.tasks.classify.metrics import classification_metrics, regression_metrics
from bertkit.tasks.classify.multilabel import MultiLabelTask
from bertkit.tasks.task import FinetuneConfig, Split
from bertkit.tokenizer import WordPieceTokenizer

TASK_TYPES = ("auto", "classification", "regression")


@dataclass
class ClassifyConfig(FinetuneConfig):
    text_column: str = ""  # column of the (first) sentence; "" = detect from the header
    pair_column: str = ""  # column of the second sentence; "" = detect, "-" = none
    label_column: str = ""  # column of the label or score; "" = detect
    task_type: str = "auto"  # classification, regression, or auto (real-valued labels: regression)
    label_names: str = ""  # names of labels 0..N-1: negative,positive ("" = GLUE's or as written)
    multi_label: bool = False  # any number of labels per row: one sigmoid each, BCE loss
    label_columns: str = ""  # multi-label: one 0/1 column per label, toxic,obscene,insult (Jigsaw)
    label_separator: str = ";"  # multi-label: the separator of labels in one column (PER;LOC)
    tune_thresholds: bool = False  # multi-label: per-label best-F1 thresholds on the eval split

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.task_type not in TASK_TYPES:
            raise BertkitError(f"task_type must be one of {TASK_TYPES}, got {self.task_type!r}")
        multi_only = ("label_columns", "tune_thresholds")
        given = [name for name in multi_only if getattr(self, name)]
        if given and not self.multi_label:
            raise BertkitError(f"{given[0]} is for multi-label classification: add --multi-label")
        if self.multi_label and self.task_type == "regression":
            raise BertkitError("multi_label and task_type regression do not go together")
        if not self.label_separator:
            raise BertkitError("label_separator must not be empty")

    def columns(self) -> Columns:
        return Columns(self.text_column, self.pair_column, self.label_column)

    def task(self) -> "ClassifyTask | MultiLabelTask":
        return MultiLabelTask(self) if self.multi_label else ClassifyTask(self)


class ClassifyTask:
    """One label (or score) per row; the rows are the model inputs and the examples."""

    name = "classify"

    def __init__(self, config: ClassifyConfig):
        self.config = config
        self.labels: list[str] = []  # label names by id; [] = regression (one output)
        self.label2id: dict[str, int] = {}  # a label as a file may write it -> its id

    def read_train(self, tokenizer: WordPieceTokenizer) -> Split:
        """Training rows; their labels define the label set ([] when they are real numbers)."""
        config = self.config
        read = read_examples(config.train, config.columns(), config.max_train_examples)
        raw = [e.label for e in read.examples]
        regression = config.task_type == "regression" or (
            config.task_type == "auto" and is_regression(raw)
        )
        written = [] if regression else label_names(raw)
        self.labels = name_labels(written, config.label_names, read.columns, config.train)
        self.label2id = {w: i for i, w in enumerate(written)} | label_ids(self.labels)
        if len(self.labels) == 1:
            raise BertkitError(
                f"{config.train}: every row has the label {self.labels[0]!r}; need two"
            )
        return self._encode(tokenizer, read, config.train)

    def read_eval(self, tokenizer: WordPieceTokenizer) -> Split:
        """Evaluation rows; a row whose label is not in the label set is skipped and reported."""
        config = self.config
        read = read_examples(config.eval, config.columns(), config.max_eval_examples)
        split = self._encode(tokenizer, read, config.eval)
        if not split.features:
            raise BertkitError(
                f"{config.eval}: no row has a label seen in training ({split.skipped[0]})"
            )
        return split

    def _encode(self, tokenizer: WordPieceTokenizer, read, path: str) -> Split:
        label2id = self.label2id if self.labels else None
        features, _, skipped = encode_examples(
            tokenizer, read.examples, label2id, self.config.max_seq_length
        )
        return Split(features, features, read.skipped + [f"{path}:{s}" for s in skipped])

    def default_metric(self) -> str:
        return "accuracy" if self.labels else "pearson"

    def build_model(self) -> BertForSequenceClassification:
        """The pretrained encoder with a fresh classifier for the labels (one output if [])."""
        if not self.labels:
            return BertForSequenceClassification.from_pretrained(
                self.config.model,
                unpad=self.config.unpad,
                id2label={0: "score"},
                problem_type="regression",
            )
        return BertForSequenceClassification.from_pretrained(
            self.config.model,
            unpad=self.config.unpad,
            id2label=dict(enumerate(self.labels)),
            problem_type="single_label_classification",
        )

    def load_model(self, path: str | Path) -> BertForSequenceClassification:
        """A fine-tuned model; its label names become the label set ([] for regression)."""
        model = BertForSequenceClassification.from_pretrained(path)
        config = model.config
        is_regression_model = config.problem_type == "regression" or config.num_labels == 1
        self.labels = (
            [] if is_regression_model else [config.id2label[i] for i in range(config.num_labels)]
        )
        self.label2id = label_ids(self.labels)
        return model

    def collate(self, features: list, pad_id: int) -> dict[str, torch.Tensor]:
        return collate(features, pad_id)

    def units(self, batch: dict[str, torch.Tensor]) -> float:
        return float(batch["input_ids"].size(0))

    def score(self, model: BertForSequenceClassification, split: Split, pad_id: int):
        """Metrics of the model on the evaluation rows, and the prediction per row."""
        logits = torch.empty(len(split.features), max(len(self.labels), 1))
        for indices, out in predict_batches(
            model, split.features, partial(collate, pad_id=pad_id), self.config.eval_batch_size
        ):
            logits[indices] = out.logits.float().cpu()
        gold = [f.label for f in split.features]
        if not self.labels:
            predictions = predict_scores(logits)
            return regression_metrics(predictions, gold), predictions
        ids = predict_label_ids(logits)
        metrics = classification_metrics(ids, gold, len(self.labels))
        return metrics, [self.labels[i] for i in ids]
