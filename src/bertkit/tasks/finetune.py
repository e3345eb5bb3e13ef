"""`finetune(config)` and `evaluate(config)`: the one library entry for every fine-tuning task.

The task is chosen by the config's type (`ClassifyConfig`, `NerConfig`, `QaConfig`); each task's
`head.py` supplies the same functions (read_train, read_eval, build_model, collate, step, score).
Every input file is read and checked before the first step, so bad data stops the run at once.
Training is the shared loop of `bertkit.train.loop`; after each evaluation the checkpoint is kept
in `out` when it beats the best one so far, so `out` always holds the best model directory
(config.json with id2label, model.safetensors, vocab.txt) and its scores in `eval.json`.
"""

import logging
import math
import shutil
import time
from pathlib import Path
from types import ModuleType

import torch

from bertkit.data.stream import ShuffledBatches
from bertkit.errors import BertkitError
from bertkit.files import write_json
from bertkit.tasks.classify import head as classify
from bertkit.tasks.config import FinetuneConfig
from bertkit.tasks.ner import head as ner
from bertkit.tasks.qa import head as qa
from bertkit.tokenizer import WordPieceTokenizer
from bertkit.train.config import TrainConfig
from bertkit.train.loop import resolve_device, train
from bertkit.train.rng import seed_everything

log = logging.getLogger(__name__)

TASKS: dict[type, ModuleType] = {
    classify.ClassifyConfig: classify,
    ner.NerConfig: ner,
    qa.QaConfig: qa,
}


def task_of(config: FinetuneConfig) -> ModuleType:
    if type(config) not in TASKS:
        raise BertkitError(f"no task for {type(config).__name__}; use one of {list(TASKS)}")
    return TASKS[type(config)]


def _report_skipped(what: str, skipped: list[str]) -> None:
    if skipped:
        log.warning("%s: skipped %d unusable rows, e.g. %s", what, len(skipped), skipped[0])


def finetune(config: FinetuneConfig) -> dict:
    """Fine-tune `config.model` on `config.train`, keep the best checkpoint by `config.metric`
    on `config.eval` in `config.out`, and return its metrics (also written to out/eval.json)."""
    task = task_of(config)
    for name in ("model", "train", "eval", "out"):
        if not getattr(config, name):
            raise BertkitError(f"{name} is required")
    started = time.perf_counter()
    tokenizer = WordPieceTokenizer.from_pretrained(config.model)
    train_split = task.read_train(config, tokenizer)
    eval_split = task.read_eval(config, tokenizer, train_split.labels)
    _report_skipped(config.train, train_split.skipped)
    _report_skipped(config.eval, eval_split.skipped)
    metric = config.metric or task.default_metric(train_split.labels)

    seed_everything(config.seed)  # the new head's initial weights
    model = task.build_model(config, train_split.labels)
    model.pooling = None  # a task model is no sentence embedder: save no modules.json
    model.use_unpadding(config.unpad)
    out = Path(config.out)
    pad_id = tokenizer.pad_token_id
    features = train_split.features
    batch_size = min(config.batch_size, len(features))  # a tiny training set: one full batch
    batches = ShuffledBatches(
        len(features),
        batch_size,
        lambda indices, epoch: task.collate([features[i] for i in indices], pad_id),
        seed=config.seed,
    )
    steps_per_epoch = batches.batches_per_epoch  # a last incomplete batch is dropped
    num_steps = max(1, math.ceil(config.epochs * steps_per_epoch))
    eval_every = max(1, steps_per_epoch // config.evals_per_epoch)
    summary = {
        "task": task.__name__.split(".")[-2],
        "metric": metric,
        "train_examples": train_split.num_examples,
        "train_inputs": len(train_split.features),
        "eval_examples": eval_split.num_examples,
        "skipped_train": len(train_split.skipped),
        "skipped_eval": len(eval_split.skipped),
        "steps": num_steps,
        "config": config.to_dict(),
    }
    best: dict = {}
    evaluations = 0

    def evaluate_and_keep(model: torch.nn.Module) -> dict:
        nonlocal best, evaluations
        evaluations += 1
        metrics, _ = task.score(model, eval_split, config, pad_id)
        flat = {k: v for k, v in metrics.items() if isinstance(v, float | int)}
        if metric not in flat:
            raise BertkitError(f"metric {metric!r} is not one of {sorted(flat)}")
        if not best or flat[metric] > best["metrics"][metric]:
            best = {"metrics": metrics, "evaluation": evaluations}
            model.save_pretrained(out)
            tokenizer.save_pretrained(out)
            write_json(out / "eval.json", {**metrics, **summary, "evaluation": evaluations})
            log.info("new best %s %.4f, saved to %s", metric, flat[metric], out)
        return flat

    train_config = TrainConfig(
        out_dir=str(out / "train"),
        max_steps=num_steps,
        batch_size=batch_size,
        lr=config.lr,
        weight_decay=config.weight_decay,
        warmup_ratio=config.warmup_ratio,
        max_grad_norm=config.max_grad_norm,
        log_every=config.log_every,
        eval_every=eval_every,
        seed=config.seed,
        precision="fp32",
        device=config.device,
    )
    train(model, train_config, batches, task.step, count=task.count, evaluate=evaluate_and_keep)
    # The loop's resume checkpoint (weights + optimizer) is not needed once the run is done.
    shutil.rmtree(out / "train" / "checkpoints", ignore_errors=True)
    result = {
        **best["metrics"],
        **summary,
        "best_evaluation": best["evaluation"],
        "evaluations": evaluations,
        "wall_seconds": time.perf_counter() - started,
    }
    write_json(out / "eval.json", result)
    return result


def evaluate(config: FinetuneConfig, out_file: str | Path | None = None) -> dict:
    """Score the fine-tuned model `config.model` on `config.eval`; write the metrics as JSON to
    `out_file` (default: eval.json in the model directory) and return them."""
    task = task_of(config)
    started = time.perf_counter()
    tokenizer = WordPieceTokenizer.from_pretrained(config.model)
    model = task.MODEL.from_pretrained(config.model).to(resolve_device(config.device))
    labels = task.model_labels(model)
    eval_split = task.read_eval(config, tokenizer, labels)
    _report_skipped(config.eval, eval_split.skipped)
    metrics, _ = task.score(model, eval_split, config, tokenizer.pad_token_id)
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
