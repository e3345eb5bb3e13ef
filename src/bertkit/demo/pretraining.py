"""The demo's two pretraining runs: a tiny BERT from scratch, and all-MiniLM-L6-v2 continued.

From scratch (the life cycle): a WordPiece vocabulary trained on the corpus, NSP pairs with MLM
masks, a `tiny` BERT pretrained from random weights. Continued (what works in minutes): the corpus
prepared with all-MiniLM-L6-v2's vocabulary as full-length MLM-only segments; a fresh MLM head
fitted on its frozen encoder, then the whole model trained further (Gururangan et al. 2020, "Don't
Stop Pretraining"; Kumar et al. 2022 for the head first). Both go through
`bertkit.train.pretrain`, each for a fixed number of steps, its learning rate decayed to 0 at the
last.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from bertkit.data.dataset import PretrainingData
from bertkit.data.masking import IGNORE_INDEX
from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.interop.checkpoint import find_model_dir
from bertkit.tokenizer import WordPieceTokenizer, train_vocab
from bertkit.train.config import TrainConfig
from bertkit.train.pretrain import PretrainConfig, pretrain

log = logging.getLogger(__name__)

WARMUP_STEPS = 10  # a short warmup suits both models


@dataclass
class RunSettings:
    """What one of the demo's pretraining runs needs to know."""

    steps: int  # optimizer steps of the run
    batch_size: int
    lr: float
    max_seq_length: int
    seed: int
    mlm_probability: float | None = None  # None: the data's (0.15)
    precision: str = "auto"


@dataclass
class Pretrained:
    """A pretrained model and the numbers that tell how good it is."""

    model_dir: Path
    steps: int
    held_out: dict  # the final evaluation: mlm_acc, mlm_loss (and nsp_acc with NSP)
    most_frequent_acc: float  # held-out MLM accuracy of always answering the commonest token

    def summary(self) -> dict:
        return {
            "model_dir": str(self.model_dir),
            "steps": self.steps,
            "held_out": self.held_out,
            "most_frequent_acc": self.most_frequent_acc,
        }


def train_tokenizer(corpus: Path, out_dir: Path, vocab_size: int) -> WordPieceTokenizer:
    tokens = train_vocab([corpus], vocab_size, lowercase=True)
    tokenizer = WordPieceTokenizer(tokens, do_lower_case=True)
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def prepare(corpus: Path, tokenizer, out_dir: Path, settings: RunSettings, nsp: bool) -> dict:
    config = PrepareConfig(
        max_seq_length=settings.max_seq_length,
        nsp=nsp,
        format="bert",
        eval_fraction=0.02,
        seed=settings.seed,
    )
    return prepare_pretraining([corpus], tokenizer, out_dir, config, progress=True)


def run_pretraining(config: PretrainConfig, out_dir: Path, settings: RunSettings) -> Pretrained:
    """Pretrain for `settings.steps`; the model lands in out_dir/model.

    A fixed number of steps, not a time budget: the model, and so the demo's answers, are the same
    however fast this machine is (a busy one once got 19 steps out of 3 minutes, and no answers).
    """
    train_config = TrainConfig(
        out_dir=str(out_dir),
        max_steps=settings.steps,
        batch_size=settings.batch_size,
        lr=settings.lr,
        warmup_steps=min(WARMUP_STEPS, settings.steps // 10),
        log_every=min(5, settings.steps),
        seed=settings.seed,
        precision=settings.precision,
    )
    result = pretrain(config, train_config)
    floor = most_frequent_acc(config.data, config.mlm_probability)
    return Pretrained(out_dir / "model", result.step, result.eval, floor)


def most_frequent_acc(data_dir: str, mlm_probability: float | None = None) -> float:
    """The held-out MLM accuracy of a model that always answers the most frequent masked token:
    the floor a pretrained model must beat."""
    data = PretrainingData(data_dir, "eval", mlm_probability=mlm_probability)
    if not len(data):
        return 0.0
    counts: dict[int, int] = {}
    for index in range(len(data)):
        _, labels, *_ = data.example(index, epoch=0)
        for label in labels[labels != IGNORE_INDEX].tolist():
            counts[label] = counts.get(label, 0) + 1
    return max(counts.values()) / sum(counts.values()) if counts else 0.0


def from_scratch(corpus: Path, out: Path, model: str, vocab_size: int, settings: RunSettings):
    """Vocabulary -> NSP/MLM data -> a `model` BERT pretrained from random weights."""
    log.info("  WordPiece vocabulary (%d tokens)", vocab_size)
    tokenizer = train_tokenizer(corpus, out / "tokenizer", vocab_size)
    log.info("  pretraining data: NSP pairs with MLM masks")
    summary = prepare(corpus, tokenizer, out / "data", settings, nsp=True)
    log.info("  %s training instances", f"{summary['train_instances']:,}")
    log.info("  pretraining a %s BERT from random weights (MLM + NSP)", model)
    config = PretrainConfig(data=str(out / "data"), model=model)
    return run_pretraining(config, out / "pretrain", settings)


def continued(
    corpus: Path, out: Path, init_from: Path, head: RunSettings, encoder: RunSettings
) -> tuple[Pretrained, Pretrained]:
    """The corpus in `init_from`'s vocabulary -> MLM-only segments -> a fresh MLM head fitted on
    the frozen encoder (`head`), then the whole model trained on (`encoder`): LP-FT, Kumar et al.
    2022. Returns both runs: what the head alone reaches, and what continued pretraining adds."""
    tokenizer = WordPieceTokenizer.from_pretrained(find_model_dir(init_from))
    log.info("  pretraining data in its vocabulary: full-length MLM segments, no NSP")
    summary = prepare(corpus, tokenizer, out / "data", head, nsp=False)
    log.info("  %s training instances", f"{summary['train_instances']:,}")
    data = str(out / "data")
    log.info("  a: the MLM head alone, on the frozen encoder (its transform starts fresh)")
    config = PretrainConfig(
        data=data, init_from=str(init_from), objective="mlm", train_heads_only=True,
        mlm_probability=head.mlm_probability,
    )  # fmt: skip
    fitted = run_pretraining(config, out / "head", head)
    log.info("  %s", explain("head only", fitted))
    log.info("  b: the whole model, from there")
    config = PretrainConfig(
        data=data, init_from=str(fitted.model_dir), objective="mlm",
        mlm_probability=encoder.mlm_probability,
    )  # fmt: skip
    return fitted, run_pretraining(config, out / "pretrain", encoder)


def explain(name: str, run: Pretrained) -> str:
    """One run's numbers in words: what its held-out accuracy means, against what floor."""
    acc = run.held_out.get("mlm_acc")
    if acc is None:
        return f"{name}: {run.steps} steps (no held-out text to score it on)"
    return (
        f"{name}: {run.steps} steps; held-out MLM accuracy {acc:.1%} (the share of masked tokens "
        f"of unseen documents it guesses exactly; always answering the commonest token scores "
        f"{run.most_frequent_acc:.1%})"
    )
