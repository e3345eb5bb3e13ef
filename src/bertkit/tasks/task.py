"""The `Task` protocol: what a fine-tuning task supplies to `finetune` and `evaluate`.

Each `tasks/<task>/task.py` implements it (`ClassifyTask`, `NerTask`, `QaTask`); a task config
builds its task (`config.task()`). Everything a task reads is a `Split`, and every task's training
step is the same mean-loss step (`count` and `step` below), weighted by the task's `units`.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from bertkit.tasks.config import FinetuneConfig
from bertkit.tokenizer import WordPieceTokenizer


@dataclass
class Split:
    """The encoded inputs of one file, the examples they score, and the rows skipped as unusable."""

    features: list  # model inputs, in file order; a long example may take several
    examples: list  # what is scored: rows (classify), sentences (ner), questions (qa)
    skipped: list[str] = field(default_factory=list)  # one "file:line: why" per skipped row

    @property
    def num_examples(self) -> int:
        return len(self.examples)


class Task(Protocol):
    """A fine-tuning task. A task with a label set learns it from the training file
    (`read_train`) or from a fine-tuned model (`load_model`); `read_eval`, `build_model` and
    `score` use it."""

    name: str  # the command-line word: classify, ner, qa
    config: FinetuneConfig

    def read_train(self, tokenizer: WordPieceTokenizer) -> Split: ...

    def read_eval(self, tokenizer: WordPieceTokenizer) -> Split: ...

    def default_metric(self) -> str:
        """The eval metric that picks the best checkpoint when the config names none."""
        ...

    def build_model(self) -> nn.Module:
        """The pretrained encoder `config.model` with a fresh head for this task."""
        ...

    def load_model(self, path: str | Path) -> nn.Module:
        """A model fine-tuned for this task."""
        ...

    def collate(self, features: list, pad_id: int) -> dict[str, torch.Tensor]: ...

    def units(self, batch: dict[str, torch.Tensor]) -> float:
        """What the model's loss is a mean over in `batch` (examples, labeled words)."""
        ...

    def score(self, model: nn.Module, split: Split, pad_id: int) -> tuple[dict, object]:
        """Metrics of `model` on `split`, and its predictions."""
        ...


def count(task: Task, batch: dict[str, torch.Tensor]) -> dict[str, float]:
    """The loop's `count`: the units of a micro-batch."""
    return {"units": float(task.units(batch))}


def step(
    task: Task, model: nn.Module, batch: dict[str, torch.Tensor], totals: dict[str, float]
) -> tuple[torch.Tensor, dict]:
    """The loop's `step`: the micro-batch's mean loss reweighted by its share of the step's units,
    so that the micro-batches of a step sum to the step's mean loss."""
    loss = model(**batch).loss * float(task.units(batch)) / max(totals["units"], 1.0)
    return loss, {}
