"""Extractive question answering (SQuAD): the config and the task (a span model).

The model is `BertForQuestionAnswering` (Devlin et al. 2018, section 4.2-4.3): a start and an end
score per token; answers are decoded over all windows of a question (`decode.py`) and scored
with the official SQuAD exact match and F1. For v2.0 the null threshold is tuned on the eval set.
"""

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.model import BertForQuestionAnswering
from bertkit.tasks.batching import predict_batches
from bertkit.tasks.qa.data import collate, encode_examples, read_squad
from bertkit.tasks.qa.decode import Window as LogitWindow
from bertkit.tasks.qa.decode import best_answer, choose_answer
from bertkit.tasks.qa.metrics import best_null_threshold, squad_scores
from bertkit.tasks.task import FinetuneConfig, Split
from bertkit.tokenizer import WordPieceTokenizer


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

    def task(self) -> "QaTask":
        return QaTask(self)


@dataclass
class SquadSplit(Split):
    is_v2: bool = False  # the file has unanswerable questions: tune the null threshold


class QaTask:
    """A span per question; the examples are questions, a long context split into windows."""

    name = "qa"

    def __init__(self, config: QaConfig):
        self.config = config

    def read_train(self, tokenizer: WordPieceTokenizer) -> SquadSplit:
        return self._read(tokenizer, self.config.train, self.config.max_train_examples, True)

    def read_eval(self, tokenizer: WordPieceTokenizer) -> SquadSplit:
        return self._read(tokenizer, self.config.eval, self.config.max_eval_examples, False)

    def _read(self, tokenizer, path: str, limit: int, is_training: bool) -> SquadSplit:
        config = self.config
        read = read_squad(path, limit, check_answers=is_training)
        windows = encode_examples(
            tokenizer, read.examples, config.max_seq_length, config.doc_stride, is_training
        )
        return SquadSplit(windows, read.examples, read.skipped, is_v2=read.is_v2)

    def default_metric(self) -> str:
        return "f1"

    def build_model(self) -> BertForQuestionAnswering:
        return BertForQuestionAnswering.from_pretrained(self.config.model, unpad=self.config.unpad)

    def load_model(self, path: str | Path) -> BertForQuestionAnswering:
        return BertForQuestionAnswering.from_pretrained(path)

    def collate(self, features: list, pad_id: int) -> dict[str, torch.Tensor]:
        return collate(features, pad_id, is_training=True)

    def units(self, batch: dict[str, torch.Tensor]) -> float:
        return float(batch["input_ids"].size(0))

    def score(self, model: BertForQuestionAnswering, split: SquadSplit, pad_id: int):
        """SQuAD exact match and F1 over the eval questions, and the answer per question id.

        For v2.0 files the null threshold that maximises F1 is tuned here and reported.
        """
        config = self.config
        per_example: list[list[LogitWindow]] = [[] for _ in split.examples]
        collate_eval = partial(collate, pad_id=pad_id, is_training=False)
        for indices, out in predict_batches(
            model, split.features, collate_eval, config.eval_batch_size
        ):
            start, end = out.start_logits.float().cpu(), out.end_logits.float().cpu()  # (B, T)
            for row, i in enumerate(indices):
                window = split.features[i]
                n = len(window.input_ids)
                per_example[window.example].append(
                    LogitWindow(start[row, :n], end[row, :n], window.offsets, window.is_context)
                )
        spans, margins = {}, {}
        for example, windows in zip(split.examples, per_example, strict=True):
            best, null = best_answer(
                windows, example.context, config.n_best, config.max_answer_length
            )
            spans[example.id] = choose_answer(best, null, None)
            margins[example.id] = null - best.score if best else float("inf")
        golds = {e.id: e.answers for e in split.examples}
        if not split.is_v2:
            return squad_scores(spans, golds), spans
        threshold, metrics = best_null_threshold(spans, margins, golds)
        answers = {qid: "" if margins[qid] > threshold else spans[qid] for qid in golds}
        return {**metrics, "null_threshold": threshold}, answers
