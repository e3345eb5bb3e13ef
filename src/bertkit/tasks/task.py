"""`FinetuneConfig` and the `Task` protocol: what a fine-tuning task supplies to `finetune`.

FinetuneConfig holds the options every task shares, with the original recipe's defaults (Devlin
et al. 2018, section 4 and appendix A.3: AdamW, lr in {5e-5, 3e-5, 2e-5}, batch 32, 2-4 epochs,
10% linear warmup then linear decay, weight decay 0.01). Each `tasks/<task>/task.py` subclasses it
(`ClassifyConfig`, `NerConfig`, `QaConfig`), adds its own fields and builds its task
(`config.task()`: a `Task`). The config and the protocol name each other, so they live here
together. Everything a task reads is a `Split`, and every task's training step is the same
mean-loss step (`count` and `step` below), weighted by the task's `units`.
"""

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from bertkit.errors import BertkitError
from bertkit.tokenizer import WordPieceTokenizer
from bertkit.train.config import PRECISIONS

REQUIRED = {"required": True}  # a flag the command line must give (bertkit.cli.config_flags)


@dataclass
class FinetuneConfig:
    # The command line must give the four paths; `evaluate` builds a config without train/out.
    model: str = field(default="", metadata=REQUIRED)  # pretrained model directory
    train: str = field(default="", metadata=REQUIRED)  # labeled training file
    eval: str = field(default="", metadata=REQUIRED)  # labeled evaluation file, scored every epoch
    out: str = field(default="", metadata=REQUIRED)  # output model directory (best by `metric`)
    epochs: float = 3.0  # passes over the training set (fractions allowed)
    batch_size: int = 32  # examples (QA: windows) per optimizer step
    lr: float = 5e-5  # peak learning rate of AdamW
    head_lr: float = 0.0  # peak rate of a fresh task head (rerank: classifier and pooler); 0: lr
    warmup_ratio: float = 0.1  # fraction of the steps spent warming the learning rate up
    weight_decay: float = 0.01  # AdamW decay on weights (not biases or LayerNorm)
    max_grad_norm: float = 1.0  # gradient clipping norm; 0 turns it off
    max_seq_length: int = 128  # tokens per model input, [CLS]/[SEP] included
    seed: int = 42  # seeds initialisation, dropout and shuffling
    max_train_examples: int = 0  # use only the first N training examples (0 = all)
    max_eval_examples: int = 0  # score only the first N evaluation examples (0 = all)
    evals_per_epoch: int = 1  # how often to score the eval set (and maybe keep the checkpoint)
    eval_batch_size: int = 64  # inputs per forward pass when scoring
    metric: str = ""  # eval metric that picks the best checkpoint ("" = the task's usual one)
    device: str = "auto"  # torch device: auto (cuda when available, else cpu), cpu, cuda:1
    log_every: int = 50  # optimizer steps between log lines
    unpad: bool = True  # run the encoder on real tokens only: same results, no work on padding
    time_limit_minutes: float = 0.0  # stop after this long, lr decayed to 0 by then; 0: off
    precision: str = "fp32"  # fp32, bf16 (autocast: matmuls in bf16, the rest fp32) or auto
    # (bf16 on a GPU that supports it, fp32 elsewhere)
    resume: bool = False  # continue a stopped run from its newest checkpoint in out/train

    def __post_init__(self) -> None:
        positive = ("epochs", "batch_size", "lr", "max_seq_length", "evals_per_epoch")
        for name in positive + ("eval_batch_size", "log_every"):
            if getattr(self, name) <= 0:
                raise BertkitError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("warmup_ratio", "weight_decay", "max_grad_norm"):
            if getattr(self, name) < 0:
                raise BertkitError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.warmup_ratio >= 1:
            raise BertkitError(f"warmup_ratio must be below 1, got {self.warmup_ratio}")
        if self.max_train_examples < 0 or self.max_eval_examples < 0:
            raise BertkitError("max_train_examples and max_eval_examples must be >= 0")
        if self.precision not in PRECISIONS:
            raise BertkitError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.time_limit_minutes < 0:
            raise BertkitError(f"time_limit_minutes must be >= 0, got {self.time_limit_minutes}")

    def task(self) -> "Task":
        """The fine-tuning task this config is for (each task's config says which)."""
        raise BertkitError(
            f"{type(self).__name__} names no task: use ClassifyConfig, NerConfig or QaConfig"
        )

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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
