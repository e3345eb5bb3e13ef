"""Extractive question answering (SQuAD): the config, the span model, the step and the score.

The model is `BertForQuestionAnswering` (Devlin et al. 2018, section 4.2-4.3): a start and an end
score per token; answers are decoded over all windows of a question (`decode.py`) and scored
with the official SQuAD exact match and F1. For v2.0 the null threshold is tuned on the eval set.
"""

from dataclasses import dataclass, field
from functools import partial

import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForQuestionAnswering
from bertkit.tasks.batching import predict_batches
from bertkit.tasks.config import FinetuneConfig
from bertkit.tasks.qa.data import Example, Window, encode_examples, read_squad
from bertkit.tasks.qa.data import collate as collate_windows
from bertkit.tasks.qa.decode import Window as LogitWindow
from bertkit.tasks.qa.decode import best_answer, choose_answer
from bertkit.tasks.qa.metrics import best_null_threshold, squad_scores

MODEL = BertForQuestionAnswering  # the model class this task trains and loads


@dataclass
class QaConfig(FinetuneConfig):
    epochs: float = 2.0
    lr: float = 3e-5
    max_seq_length: int = 384  # tokens per window: question + context + 3 specials
    doc_stride: int = 128  # context tokens shared by consecutive windows
    max_answer_length: int = 30  # longest answer, in tokens
    n_best: int = 20  # starts and ends considered per window

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.doc_stride < self.max_seq_length:
            raise BertkitError(f"doc_stride must be in [0, max_seq_length), got {self.doc_stride}")
        if self.max_answer_length <= 0 or self.n_best <= 0:
            raise BertkitError("max_answer_length and n_best must be positive")


@dataclass
class Split:
    """The windows of a file's questions, the questions, and those skipped as unusable."""

    features: list[Window]
    labels: list[str]  # unused: a span model has no label set
    examples: list[Example] = field(default_factory=list)
    is_v2: bool = False
    skipped: list[str] = field(default_factory=list)

    @property
    def num_examples(self) -> int:
        """Questions scored; a long context takes several windows."""
        return len(self.examples)


def default_metric(labels: list[str]) -> str:
    return "f1"


def read_train(config: QaConfig, tokenizer) -> Split:
    read = read_squad(config.train, config.max_train_examples, check_answers=True)
    windows = encode_examples(
        tokenizer, read.examples, config.max_seq_length, config.doc_stride, is_training=True
    )
    return Split(windows, [], read.examples, read.is_v2, read.skipped)


def read_eval(config: QaConfig, tokenizer, labels: list[str]) -> Split:
    read = read_squad(config.eval, config.max_eval_examples, check_answers=False)
    windows = encode_examples(
        tokenizer, read.examples, config.max_seq_length, config.doc_stride, is_training=False
    )
    return Split(windows, [], read.examples, read.is_v2, read.skipped)


def build_model(config: QaConfig, labels: list[str]) -> BertForQuestionAnswering:
    return BertForQuestionAnswering.from_pretrained(config.model)


def model_labels(model: BertForQuestionAnswering) -> list[str]:
    return []


def collate(windows: list[Window], pad_id: int) -> dict:
    return collate_windows(windows, pad_id, is_training=True)


def count(batch: dict) -> dict[str, float]:
    return {"examples": float(batch["input_ids"].size(0))}


def step(model: BertForQuestionAnswering, batch: dict, totals: dict) -> tuple[torch.Tensor, dict]:
    """The batch's mean loss, reweighted so that the micro-batches of a step sum to its mean."""
    loss = model(**batch).loss * batch["input_ids"].size(0) / totals["examples"]
    return loss, {}


def score(
    model: BertForQuestionAnswering,
    data: Split,
    config: QaConfig,
    pad_id: int,
):
    """SQuAD exact match and F1 over the eval questions, and the answer per question id.

    For v2.0 files the null threshold that maximises F1 is tuned here and reported.
    """
    per_example: list[list[LogitWindow]] = [[] for _ in data.examples]
    collate_eval = partial(collate_windows, pad_id=pad_id, is_training=False)
    for indices, out in predict_batches(model, data.features, collate_eval, config.eval_batch_size):
        start, end = out.start_logits.float().cpu(), out.end_logits.float().cpu()  # (B, T)
        for row, i in enumerate(indices):
            window = data.features[i]
            n = len(window.input_ids)
            per_example[window.example].append(
                LogitWindow(start[row, :n], end[row, :n], window.offsets, window.is_context)
            )
    spans, margins = {}, {}
    for example, windows in zip(data.examples, per_example, strict=True):
        best, null = best_answer(windows, example.context, config.n_best, config.max_answer_length)
        spans[example.id] = choose_answer(best, null, None)
        margins[example.id] = null - best.score if best else float("inf")
    golds = {e.id: e.answers for e in data.examples}
    if not data.is_v2:
        return squad_scores(spans, golds), spans
    threshold, metrics = best_null_threshold(spans, margins, golds)
    answers = {qid: "" if margins[qid] > threshold else spans[qid] for qid in golds}
    return {**metrics, "null_threshold": threshold}, answers
