"""`finetune(config)` and `evaluate(config)`: the one library entry for every fine-tuning task.

The config's type says the task (`config.task()`: a `Task`, see task.py). Every input file is
read and checked before the first step, so bad data stops the run at once. Training is the shared
loop of `bertkit.train.loop`; after each evaluation the model is kept in `out` when it beats the
best one so far, so `out` always holds the best model directory (config.json with id2label,
model.safetensors, vocab.txt) and its scores in `eval.json`.
"""

import logging
import math
import shutil
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import cast

from torch import nn

from bertkit.data.stream import ShuffledBatches
from bertkit.errors import BertkitError
from bertkit.files import write_json
from bertkit.model.pretrained import PreTrainedBert
from bertkit.tasks import task as shared
from bertkit.tasks.diagnose import diagnose
from bertkit.tasks.task import FinetuneConfig, Split, Task
from bertkit.tokenizer import WordPieceTokenizer
from bertkit.train.config import TrainConfig
from bertkit.train.device import resolve_device
from bertkit.train.dist import dist_info, shutdown_distributed
from bertkit.train.loop import train
from bertkit.train.metrics import METRICS_FILE
from bertkit.train.rng import seed_everything

log = logging.getLogger(__name__)


def finetune(config: FinetuneConfig) -> dict:
    """Fine-tune `config.model` on `config.train`, keep the best checkpoint by `config.metric`
    on `config.eval` in `config.out`, and return its metrics (also written to out/eval.json)."""
    task = config.task()
    for name in ("model", "train", "eval", "out"):
        # A task whose config leaves `eval` optional (embed) trains without evaluations.
        is_required = config.__dataclass_fields__[name].metadata.get("required")
        if is_required and not getattr(config, name):
            raise BertkitError(f"{name} is required")
    started = time.perf_counter()
    tokenizer = WordPieceTokenizer.from_pretrained(config.model)
    train_split = task.read_train(tokenizer)
    eval_split = task.read_eval(tokenizer)
    _report_skipped(config.train, train_split)
    _report_skipped(config.eval, eval_split)

    seed_everything(config.seed)  # the new head's initial weights
    model = task.build_model()
    # A task may bring its own batches and step (embed: NO_DUPLICATES batches, the cached loss).
    batches = getattr(task, "batches", lambda *_: None)(train_split, tokenizer.pad_token_id)
    if batches is None:
        batches = _shuffled_batches(task, train_split, tokenizer.pad_token_id)
    step = getattr(task, "step", lambda: None)() or partial(shared.step, task)
    train_config = _train_config(config, batches)
    keeper = KeepBest(
        task,
        eval_split,
        config.metric or task.default_metric(),
        tokenizer,
        summary=_summary(task, train_split, eval_split, train_config.max_steps),
    )
    run = train(
        model,
        train_config,
        batches,
        step,
        count=partial(shared.count, task),
        evaluate=keeper,
        resume=config.resume,
    )
    result = {
        **keeper.best_metrics,
        **keeper.summary,
        "best_evaluation": keeper.best_evaluation,
        "evaluations": keeper.evaluations,
        "wall_seconds": time.perf_counter() - started,
    }
    shutdown_distributed()  # torchrun's processes are done with each other
    if run.is_preempted:  # keep the checkpoint; eval.json stays the best model's so far
        return {**result, "stopped": run.stopped, "step": run.step}
    if not dist_info().is_main:  # rank 0 writes
        return result
    # The loop's resume checkpoint (weights + optimizer) is not needed once the run is done.
    shutil.rmtree(Path(config.out) / "train" / "checkpoints", ignore_errors=True)
    result["warnings"] = diagnose(result, Path(config.out) / "train" / METRICS_FILE, config.lr)
    write_json(Path(config.out) / "eval.json", result)
    return result


@dataclass
class KeepBest:
    """The loop's `evaluate`: score the eval split, and save the model, tokenizer and scores to
    `config.out` whenever `metric` beats its best value so far."""

    task: Task
    split: Split
    metric: str
    tokenizer: WordPieceTokenizer
    summary: dict  # what the run was (task, sizes, config): written into eval.json
    evaluations: int = 0
    best_evaluation: int = 0  # 1-based; 0: none yet
    best_metrics: dict = field(default_factory=dict)

    def __call__(self, model: nn.Module) -> dict[str, float]:
        self.evaluations += 1
        if not self.split.examples:  # no eval file: keep the latest model
            self._save(model, {}, "latest")
            return {}
        metrics, _ = self.task.score(model, self.split, self.tokenizer.pad_token_id)
        flat: dict[str, float] = {k: v for k, v in metrics.items() if isinstance(v, float | int)}
        if self.metric not in flat:
            raise BertkitError(f"metric {self.metric!r} is not one of {sorted(flat)}")
        if not self.best_metrics or flat[self.metric] > self.best_metrics[self.metric]:
            self.best_metrics, self.best_evaluation = metrics, self.evaluations
            self._save(model, metrics, f"new best {self.metric} {flat[self.metric]:.4f}")
        return flat

    def _save(self, model: nn.Module, metrics: dict, why: str) -> None:
        if not dist_info().is_main:  # every process scores, rank 0 writes
            return
        out = Path(self.task.config.out)
        cast(PreTrainedBert, model).save_pretrained(out)
        self.tokenizer.save_pretrained(out)
        # A task may keep more beside the model (multi-label: the thresholds it was scored with).
        getattr(self.task, "save_extras", lambda *_: None)(out, metrics)
        record = {**metrics, **self.summary, "evaluation": self.evaluations}
        write_json(out / "eval.json", record)
        log.info("%s, saved to %s", why, out)

    def state_dict(self) -> dict:
        """Saved in the loop's checkpoints, so a resumed run keeps comparing with the best."""
        return {
            "evaluations": self.evaluations,
            "best_evaluation": self.best_evaluation,
            "best_metrics": self.best_metrics,
        }

    def load_state_dict(self, state: dict) -> None:
        self.evaluations = state["evaluations"]
        self.best_evaluation = state["best_evaluation"]
        self.best_metrics = state["best_metrics"]


def _report_skipped(path: str, split: Split) -> None:
    if split.skipped:
        log.warning(
            "%s: skipped %d unusable rows, e.g. %s", path, len(split.skipped), split.skipped[0]
        )


def _shuffled_batches(task: Task, split: Split, pad_id: int) -> ShuffledBatches:
    """Batches of `config.batch_size` training inputs (all of them if fewer), reshuffled every
    epoch; a last incomplete batch is dropped. Under torchrun each of the W processes takes
    `batch_size` inputs of a global batch of W x batch_size."""
    features, info = split.features, dist_info()
    return ShuffledBatches(
        len(features),
        max(1, min(task.config.batch_size, len(features) // info.world_size)),
        lambda indices, epoch: task.collate([features[i] for i in indices], pad_id),
        seed=task.config.seed,
        rank=info.rank,
        world_size=info.world_size,
    )


def _train_config(config: FinetuneConfig, batches: ShuffledBatches) -> TrainConfig:
    """The loop's settings: `config.epochs` passes, `config.evals_per_epoch` evaluations each."""
    steps_per_epoch = batches.batches_per_epoch
    steps = max(1, math.ceil(config.epochs * steps_per_epoch))
    return TrainConfig(
        out_dir=str(Path(config.out) / "train"),
        max_steps=steps,
        batch_size=batches.batch_size,
        lr=config.lr,
        head_lr=config.head_lr,
        weight_decay=config.weight_decay,
        warmup_ratio=config.warmup_ratio,
        max_grad_norm=config.max_grad_norm,
        log_every=min(config.log_every, max(1, steps // 20)),  # a line in loss.png, however short
        eval_every=max(1, steps_per_epoch // config.evals_per_epoch),
        save_every=getattr(config, "save_every", 0),  # a task config may ask for resume points
        seed=config.seed,
        precision=config.precision,
        time_limit_minutes=config.time_limit_minutes,
        device=config.device,
    )


def _summary(task: Task, train_split: Split, eval_split: Split, num_steps: int) -> dict:
    return {
        "task": task.name,
        "metric": task.config.metric or task.default_metric(),
        "train_examples": train_split.num_examples,
        "train_inputs": len(train_split.features),
        "eval_examples": eval_split.num_examples,
        "skipped_train": len(train_split.skipped),
        "skipped_eval": len(eval_split.skipped),
        "steps": num_steps,
        "config": task.config.to_dict(),
    }


def evaluate(config: FinetuneConfig, out_file: str | Path | None = None) -> dict:
    """Score the fine-tuned model `config.model` on `config.eval`; write the metrics as JSON to
    `out_file` (default: eval.json in the model directory) and return them."""
    task = config.task()
    started = time.perf_counter()
    tokenizer = WordPieceTokenizer.from_pretrained(config.model)
    model = task.load_model(config.model).to(resolve_device(config.device))
    eval_split = task.read_eval(tokenizer)
    _report_skipped(config.eval, eval_split)
    metrics, _ = task.score(model, eval_split, tokenizer.pad_token_id)
    result = {
        **metrics,
        "eval_examples": eval_split.num_examples,
        "skipped_eval": len(eval_split.skipped),
        "model": str(config.model),
        "data": str(config.eval),
        "wall_seconds": time.perf_counter() - started,
    }
    write_json(Path(out_file) if out_file else Path(config.model) / "eval.json", result)
    return result
