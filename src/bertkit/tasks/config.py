"""FinetuneConfig: the options every fine-tuning task shares, with the original recipe's defaults.

Devlin et al. 2018, section 4 and appendix A.3: AdamW, lr in {5e-5, 3e-5, 2e-5}, batch 32,
2-4 epochs, 10% linear warmup then linear decay, weight decay 0.01. Each task subclasses it
(`ClassifyConfig`, `NerConfig`, `QaConfig` in the task's `task.py`), adds its own fields and
builds its task (`config.task()`).
"""

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from bertkit.errors import BertkitError

if TYPE_CHECKING:
    from bertkit.tasks.task import Task


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

    def task(self) -> "Task":
        """The fine-tuning task this config is for (each task's config says which)."""
        raise BertkitError(
            f"{type(self).__name__} names no task: use ClassifyConfig, NerConfig or QaConfig"
        )

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
