"""The training loop shared by pretraining and fine-tuning: one explicit loop, no callbacks.

    result = train(model, config, batches, step, count=count_examples, evaluate=None, resume=False)

- `batches`: an endless iterable of micro-batches (dicts of tensors; the loop moves them to the
  device) with `state_dict()`/`load_state_dict()`, e.g. `bertkit.data.ShuffledBatches`. Under
  torchrun each process iterates over its own part of the data.
- `count(batch) -> dict[str, float]`: what a micro-batch holds, e.g. {"examples": 32} (the default)
  or {"sequences": 32, "masked_tokens": 470, "tokens": 4096}. Before any forward pass the loop sums
  it over the `grad_accum_steps` micro-batches of the step and over all processes: `totals`.
- `step(model, batch, totals) -> (loss, metrics)`: the loss of one micro-batch as a *sum* over
  its examples (or tokens) divided by the step's totals, e.g. (sum of token losses) /
  totals["masked_tokens"]; `metrics` are floats normalised the same way (correct /
  totals["masked_tokens"]). Summed over the micro-batches and processes they are exactly the loss
  and metrics of one big batch, which is why k accumulated micro-batches give the same loss and
  gradients as one k-times larger batch.
- `evaluate(model) -> dict[str, float]`: every `eval_every` steps and at the end, with the model in
  eval mode under no_grad and autocast, on every process (reduce inside when sharding the data).
  With `config.best_metric` set, the best value so far saves the model to out_dir/best.

Writes out_dir/metrics.jsonl, loss.png and checkpoints/step-N.pt (see checkpoint.py); only rank 0
writes. The caller saves its config and final model (`model.save_pretrained`). A NaN/inf loss
raises `TrainingDiverged` before the weights are touched. As in nanoGPT's train.py and cramming's
pretrain.py, resume, evaluation and NaN handling are plain code.
"""

import logging
import math
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from bertkit.errors import BertkitError
from bertkit.train.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    remove_stale_temporaries,
    save_checkpoint,
)
from bertkit.train.config import TrainConfig
from bertkit.train.dist import (
    DistInfo,
    all_gather_object,
    all_reduce_sum,
    dist_info,
    init_distributed,
)
from bertkit.train.metrics import MetricsLog
from bertkit.train.optim import build_optimizer, build_scheduler
from bertkit.train.rng import get_rng_state, seed_everything, set_rng_state

log = logging.getLogger(__name__)

Batch = dict[str, torch.Tensor]
StepFn = Callable[[nn.Module, Batch, dict[str, float]], tuple[torch.Tensor, dict[str, float]]]


class TrainingDiverged(BertkitError):
    """The loss or the gradient norm became NaN or infinite."""


@dataclass
class TrainResult:
    step: int  # the last optimizer step done
    train: dict  # the last train record of metrics.jsonl
    eval: dict  # the last evaluation record ({} without evaluate)
    checkpoint: Path | None  # the final checkpoint
    best_value: float | None = None  # best value of config.best_metric, if tracked
    best_step: int | None = None


def count_examples(batch: Batch) -> dict[str, float]:
    """The default `count`: the number of examples (the first dimension of the first tensor)."""
    return {"examples": float(next(iter(batch.values())).shape[0])}


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    if name == "auto":
        return torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 where asked, or with "auto" on a GPU that supports it; None means plain fp32."""
    if precision == "bf16":
        return torch.bfloat16
    if precision == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def train(
    model: nn.Module,
    config: TrainConfig,
    batches: Iterable[Batch],
    step: StepFn,
    *,
    count: Callable[[Batch], dict[str, float]] = count_examples,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    resume: bool = False,
) -> TrainResult:
    """Train `model` for `config.max_steps` optimizer steps; see the module docstring."""
    out_dir, k = Path(config.out_dir), config.grad_accum_steps
    ckpt_dir = out_dir / "checkpoints"
    device = resolve_device(config.device, dist_info().local_rank)
    info = init_distributed(device)
    seed_everything(config.seed + info.rank)  # per-process dropout; DDP copies rank 0's weights
    amp_dtype = autocast_dtype(config.precision, device)
    autocast = (
        torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None else nullcontext()
    )
    model.to(device)
    optimizer = build_optimizer(model, config)
    scheduler = build_scheduler(optimizer, config)
    metrics = MetricsLog(out_dir, config.tensorboard) if info.is_main else None

    start_step, best_value, best_step = 0, None, None
    checkpoint = latest_checkpoint(ckpt_dir)
    if checkpoint is not None and not resume:
        raise BertkitError(f"{out_dir} already has checkpoints: resume, or choose a new out_dir")
    if resume and checkpoint is None:
        log.info("no checkpoint in %s: starting from step 0", ckpt_dir)
    if resume and checkpoint is not None:
        state = load_checkpoint(checkpoint)
        if len(state["rng"]) != info.world_size:
            raise BertkitError(
                f"{checkpoint} was saved by {len(state['rng'])} processes; resume it with as many"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        batches.load_state_dict(state["data"])
        set_rng_state(state["rng"][info.rank])
        start_step, best_value, best_step = state["step"], state["best_value"], state["best_step"]
        log.info("resumed from %s (step %d)", checkpoint, start_step)
    if info.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(ckpt_dir)
        metrics.truncate_after(start_step)  # a fresh run starts an empty file

    ddp_model = model
    if info.world_size > 1:
        device_ids = [device.index] if device.type == "cuda" else None
        ddp_model = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)

    def run_evaluation(step_num: int) -> dict:
        nonlocal best_value, best_step
        model.eval()
        with torch.no_grad(), autocast:
            results = {k: float(v) for k, v in evaluate(model).items()}
        model.train()
        record = {"split": "eval", "step": step_num, **results}
        if info.is_main:
            metrics.log(record)
            metrics.plot()
        value = results.get(config.best_metric) if config.best_metric else None
        is_better = value is not None and (
            best_value is None
            or (value > best_value if config.best_mode == "max" else value < best_value)
        )
        if is_better:
            best_value, best_step = value, step_num
            if info.is_main:
                model.save_pretrained(out_dir / "best")
                log.info("step %d: best %s so far (%.4f)", step_num, config.best_metric, value)
        return record

    def save(step_num: int) -> Path:
        rng_states = all_gather_object(get_rng_state())  # every process's dropout stream
        state = {
            "step": step_num,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "data": batches.state_dict(),
            "rng": rng_states,
            "best_value": best_value,
            "best_step": best_step,
        }
        path = ckpt_dir / f"step-{step_num:08d}.pt"
        if info.is_main:
            path = save_checkpoint(ckpt_dir, state, config.keep_last)
        return path

    model.train()
    data = iter(batches)
    last_train, last_eval, last_saved = {}, {}, checkpoint
    interval = _Interval()
    progress = _progress_bar(config, start_step, info)
    deadline, last_step = time.monotonic() + 60 * config.time_limit_minutes, start_step
    for step_num in range(start_step + 1, config.max_steps + 1):
        window = [_to_device(next(data), device) for _ in range(k)]
        totals: dict[str, float] = {}
        for batch in window:
            for key, value in count(batch).items():
                totals[key] = totals.get(key, 0.0) + float(value)
        totals = all_reduce_sum(totals, device)

        sums = {"loss": 0.0}
        for i, batch in enumerate(window):
            is_last = i == k - 1
            # Gradients are all-reduced once per optimizer step, on the last micro-batch.
            sync = nullcontext() if is_last or ddp_model is model else ddp_model.no_sync()
            with sync:
                with autocast:
                    loss, step_metrics = step(ddp_model, batch, totals)
                # DDP averages gradients over processes; the loss is already normalised by the
                # global totals, so scale back up to get the gradient of the global mean.
                (loss * info.world_size).backward()
            sums["loss"] += loss.item()
            for key, value in step_metrics.items():
                sums[key] = sums.get(key, 0.0) + float(value)
        sums = all_reduce_sum(sums, device)

        lr = scheduler.get_last_lr()[0]
        grad_norm = _clip(model, config.max_grad_norm)
        if not (math.isfinite(sums["loss"]) and math.isfinite(grad_norm)):
            raise TrainingDiverged(
                f"step {step_num}: loss {sums['loss']}, gradient norm {grad_norm} (lr {lr:.3g}); "
                f"stopped before updating the weights. Last good checkpoint: "
                f"{last_saved or 'none'} (resume from it, perhaps with a lower lr)"
            )
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        interval.add(sums, totals, grad_norm)
        progress.update(1)

        last_step, is_end = step_num, step_num == config.max_steps
        if config.time_limit_minutes > 0:
            # Every process must stop at the same step: rank 0's clock decides.
            is_late = info.is_main and time.monotonic() > deadline
            is_end = is_end or all_reduce_sum({"late": float(is_late)}, device)["late"] > 0
        if step_num % config.log_every == 0 or is_end:
            last_train = {"split": "train", "step": step_num, **interval.means(), "lr": lr}
            interval = _Interval()
            if info.is_main:
                metrics.log(last_train)
                progress.set_postfix(loss=f"{last_train['loss']:.4f}")
        if evaluate is not None and (
            is_end or (config.eval_every and step_num % config.eval_every == 0)
        ):
            last_eval = run_evaluation(step_num)
        if is_end or (config.save_every and step_num % config.save_every == 0):
            last_saved = save(step_num)
        if is_end:
            break
    progress.close()
    if info.is_main:
        metrics.plot()
        metrics.close()
    return TrainResult(
        step=last_step,
        train=last_train,
        eval=last_eval,
        checkpoint=last_saved,
        best_value=best_value,
        best_step=best_step,
    )


class _Interval:
    """Sums over the steps between two log lines, and the wall time they took."""

    def __init__(self):
        self.start, self.steps, self.sums, self.tokens = time.perf_counter(), 0, {}, 0.0
        self.grad_norm = 0.0

    def add(self, sums: dict[str, float], totals: dict[str, float], grad_norm: float) -> None:
        self.steps += 1
        for key, value in sums.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.tokens += totals.get("tokens", 0.0)
        self.grad_norm += grad_norm

    def means(self) -> dict[str, float]:
        seconds = max(time.perf_counter() - self.start, 1e-9)
        record = {key: value / self.steps for key, value in self.sums.items()}
        record["grad_norm"] = self.grad_norm / self.steps
        if self.tokens:
            record["tokens_per_s"] = self.tokens / seconds
        record["steps_per_s"] = self.steps / seconds
        return record


def _clip(model: nn.Module, max_norm: float) -> float:
    if max_norm > 0:
        return float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm))
    norms = [p.grad.detach().norm() for p in model.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0


def _to_device(batch: Batch, device: torch.device) -> Batch:
    return {key: value.to(device, non_blocking=True) for key, value in batch.items()}


def _progress_bar(config: TrainConfig, start_step: int, info: DistInfo):
    from bertkit.progress import progress_bar

    return progress_bar(
        total=config.max_steps,
        initial=start_step,
        disable=not (config.progress and info.is_main),
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )
