"""Sentence(-pair) classification and regression: the config, the model, the step and the score.

The model is `BertForSequenceClassification` on the [CLS] vector (Devlin et al. 2018, figure 4a,
b); regression (one output, MSE) is chosen when the labels are real numbers, as STS-B's scores.
"""

from dataclasses import dataclass, field
from functools import partial

import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForSequenceClassification
from bertkit.tasks.batching import predict_batches
from bertkit.tasks.classify.data import (
    Columns,
    Feature,
    collate,
    encode_examples,
    is_regression,
    label_names,
    read_examples,
)
from bertkit.tasks.classify.decode import predict_label_ids, predict_scores
from bertkit.tasks.classify.metrics import classification_metrics, regression_metrics
from bertkit.tasks.config import FinetuneConfig

TASK_TYPES = ("auto", "classification", "regression")


MODEL = BertForSequenceClassification  # the model class this task trains and loads


@dataclass
class ClassifyConfig(FinetuneConfig):
    text_column: str = ""  # column of the (first) sentence; "" = detect from the header
    pair_column: str = ""  # column of the second sentence; "" = detect, "-" = none
    label_column: str = ""  # column of the label or score; "" = detect
    task_type: str = "auto"  # classification, regression, or auto (real-valued labels: regression)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.task_type not in TASK_TYPES:
            raise BertkitError(f"task_type must be one of {TASK_TYPES}, got {self.task_type!r}")

    def columns(self) -> Columns:
        return Columns(self.text_column, self.pair_column, self.label_column)


@dataclass
class Split:
    """Encoded rows of one file, with the label set and the rows skipped as unusable."""

    features: list[Feature]
    labels: list[str]  # label names by id; [] for regression
    skipped: list[str] = field(default_factory=list)

    @property
    def num_examples(self) -> int:
        """Rows kept, one model input each."""
        return len(self.features)


def default_metric(labels: list[str]) -> str:
    return "pearson" if not labels else "accuracy"


def read_train(config: ClassifyConfig, tokenizer) -> Split:
    """Training features and the label set they define ([] = regression)."""
    read = read_examples(config.train, config.columns(), config.max_train_examples)
    raw = [e.label for e in read.examples]
    regression = config.task_type == "regression" or (
        config.task_type == "auto" and is_regression(raw)
    )
    labels = [] if regression else label_names(raw)
    if len(labels) == 1:
        raise BertkitError(f"{config.train}: every row has the label {labels[0]!r}; need two")
    label2id = None if regression else {name: i for i, name in enumerate(labels)}
    features, _, skipped = encode_examples(
        tokenizer, read.examples, label2id, config.max_seq_length
    )
    return Split(features, labels, read.skipped + [f"{config.train}:{s}" for s in skipped])


def read_eval(config: ClassifyConfig, tokenizer, labels: list[str]) -> Split:
    """Evaluation features; a row whose label is not in `labels` is skipped and reported."""
    read = read_examples(config.eval, config.columns(), config.max_eval_examples)
    label2id = {name: i for i, name in enumerate(labels)} if labels else None
    features, _, skipped = encode_examples(
        tokenizer, read.examples, label2id, config.max_seq_length
    )
    if not features:
        raise BertkitError(f"{config.eval}: no row has a label seen in training ({skipped[0]})")
    return Split(features, labels, read.skipped + [f"{config.eval}:{s}" for s in skipped])


def build_model(config: ClassifyConfig, labels: list[str]) -> BertForSequenceClassification:
    """The pretrained encoder with a fresh classifier for `labels` (one output if [])."""
    if not labels:
        return BertForSequenceClassification.from_pretrained(
            config.model, id2label={0: "score"}, problem_type="regression"
        )
    return BertForSequenceClassification.from_pretrained(
        config.model,
        id2label=dict(enumerate(labels)),
        problem_type="single_label_classification",
    )


def model_labels(model: BertForSequenceClassification) -> list[str]:
    """The label names a fine-tuned model predicts; [] for a regression model."""
    if model.config.problem_type == "regression" or model.config.num_labels == 1:
        return []
    return [model.config.id2label[i] for i in range(model.config.num_labels)]


def count(batch: dict) -> dict[str, float]:
    return {"examples": float(batch["input_ids"].size(0))}


def step(
    model: BertForSequenceClassification, batch: dict, totals: dict
) -> tuple[torch.Tensor, dict]:
    """The batch's mean loss, reweighted so that the micro-batches of a step sum to its mean."""
    loss = model(**batch).loss * batch["input_ids"].size(0) / totals["examples"]
    return loss, {}


def score(model: BertForSequenceClassification, data: Split, config: ClassifyConfig, pad_id: int):
    """Metrics of the model on the evaluation set, and the prediction per row."""
    logits = torch.empty(len(data.features), max(len(data.labels), 1))
    for indices, out in predict_batches(
        model, data.features, partial(collate, pad_id=pad_id), config.eval_batch_size
    ):
        logits[indices] = out.logits.float().cpu()
    gold = [f.label for f in data.features]
    if not data.labels:
        predictions = predict_scores(logits)
        return regression_metrics(predictions, gold), predictions
    ids = predict_label_ids(logits)
    metrics = classification_metrics(ids, gold, len(data.labels))
    return metrics, [data.labels[i] for i in ids]
