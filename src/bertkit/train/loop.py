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
  gradients as one k-times larger batch. A step with `runs_backward = True` (the cached
  embedding loss, which must free each mini-batch's graph before the next) calls backward itself,
  scaled by the world size as below, and returns its loss detached.
- `evaluate(model) -> dict[str, float]`: every `eval_every` steps and at the end, with the model in
  eval mode under no_grad and autocast, on every process (reduce inside when sharding the data).
  With `config.best_metric` set, the best value so far saves the model to out_dir/best.

Writes out_dir/metrics.jsonl, loss.png and checkpoints/step-N.pt (see checkpoint.py, state.py);
only rank 0 writes. The caller saves its config and final model (`model.save_pretrained`). A
NaN/inf loss raises `TrainingDiverged` before the weights are touched. The run stops at
`max_steps`, when its time budget is spent (the schedule then has decayed to 0, optim.py), or after
SIGTERM/SIGINT (signals.py: a checkpoint at that step, then return; `TrainResult.is_preempted`).
As in nanoGPT's train.py and cramming's pretrain.py, resume, evaluation and stopping are plain code.
"""

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from bertkit.errors import BertkitError
from bertkit.model.pretrained import PreTrainedBert
from bertkit.train.checkpoint import (
    checkpoint_path,
    latest_checkpoint,
    newest_usable,
    remove_stale_temporaries,
    save_checkpoint,
)
from bertkit.train.config import TrainConfig
from bertkit.train.device import resolve_device
from bertkit.train.dist import DistInfo, all_reduce_sum, dist_info, init_distributed
from bertkit.train.metrics import MetricsLog
from bertkit.train.optim import build_optimizer, build_scheduler
from bertkit.train.rng import seed_everything
from bertkit.train.signals import StopSignals
from bertkit.train.state import Best, LogInterval, Stateful, TrainClock, TrainState

log = logging.getLogger(__name__)

Batch = dict[str, torch.Tensor]


class BatchStream(Stateful, Protocol):
    """Endless micro-batches whose position is saved in checkpoints (e.g. ShuffledBatches)."""

    def __iter__(self) -> Iterator[Batch]: ...


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
    stopped: str = ""  # why the run stopped (max_steps, time limit, a signal)
    is_preempted: bool = False  # stopped by SIGTERM/SIGINT: resume it to finish
    lr: float = 0.0  # the learning rate after the last step (0 when fully decayed)


def count_examples(batch: Batch) -> dict[str, float]:
    """The default `count`: the number of examples (the first dimension of the first tensor)."""
    return {"examples": float(next(iter(batch.values())).shape[0])}


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
    batches: BatchStream,
    step: StepFn,
    *,
    count: Callable[[Batch], dict[str, float]] = count_examples,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    resume: bool = False,
) -> TrainResult:
    """Train `model` for `config.max_steps` optimizer steps; see the module docstring."""
    runtime = Runtime.create(config)
    model.to(runtime.device)
    clock = TrainClock(runtime.info, runtime.device)
    optimizer = build_optimizer(model, config)
    state = TrainState(
        model,
        optimizer,
        build_scheduler(optimizer, config, lambda: clock.seconds),
        batches,
        evaluate,
        Best(config.best_metric, config.best_mode),
        clock,
    )
    out_dir = Path(config.out_dir)
    last_saved = restore(state, out_dir / "checkpoints", resume)
    metrics = open_metrics(config, state.step, runtime.info)
    ddp_model = runtime.wrap(model)

    model.train()
    data = iter(batches)
    last_train, last_eval = {}, {}
    stop = Stop(f"already at step {state.step}") if state.step >= config.max_steps else None
    progress = _progress_bar(config, state.step, runtime.info, state.clock.previous)
    clock.start = time.monotonic()
    with StopSignals() as signals:
        while stop is None:
            state.step += 1
            window = [next(data) for _ in range(config.grad_accum_steps)]
            sums, totals = accumulate(ddp_model, window, step, count, runtime)
            lr = state.scheduler.get_last_lr()[0]
            grad_norm = _clip(model, config.max_grad_norm)
            if not (math.isfinite(sums["loss"]) and math.isfinite(grad_norm)):
                raise TrainingDiverged(
                    f"step {state.step}: loss {sums['loss']}, gradient norm {grad_norm} "
                    f"(lr {lr:.3g}); stopped before updating the weights. Last good checkpoint: "
                    f"{last_saved or 'none'} (resume from it, perhaps with a lower lr)"
                )
            optimizer.step()
            if config.time_limit_minutes:
                clock.tick()  # the schedule decays by the time used
            state.scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            state.interval.add(sums, totals, grad_norm)
            stop = stop_reason(config, state, signals, runtime)
            _update_progress(progress, config, state, stop, last_train.get("loss"))

            # A preempted run logs on its usual steps only, so the resumed file reads as one run.
            if state.step % config.log_every == 0 or (stop and not stop.is_preempted):
                last_train = {"split": "train", "step": state.step, **state.interval.means()}
                last_train["lr"] = lr
                state.interval = LogInterval()
                if metrics is not None:
                    metrics.log(last_train)
                    if not config.time_limit_minutes:  # a time bar shows it beside the step
                        progress.set_postfix(loss=f"{last_train['loss']:.4f}")
            is_eval_due = config.eval_every and state.step % config.eval_every == 0
            if evaluate is not None and (is_eval_due or (stop and not stop.is_preempted)):
                last_eval = run_evaluation(state, evaluate, runtime, metrics, out_dir)
            if stop or (config.save_every and state.step % config.save_every == 0):
                last_saved = save(state, out_dir / "checkpoints", config.keep_last, runtime.info)
    progress.close()
    log.info("stopped at step %d: %s%s", state.step, stop.why, _resume_hint(stop, last_saved))
    if metrics is not None:
        metrics.plot()
        metrics.close()
    return TrainResult(
        step=state.step,
        train=last_train,
        eval=last_eval,
        checkpoint=last_saved,
        best_value=state.best.value,
        best_step=state.best.step,
        stopped=stop.why,
        is_preempted=stop.is_preempted,
        lr=float(state.scheduler.get_last_lr()[0]),
    )


@dataclass
class Runtime:
    """Where this process trains: its device, its place among the processes, its autocast."""

    device: torch.device
    info: DistInfo
    amp_dtype: torch.dtype | None

    @classmethod
    def create(cls, config: TrainConfig) -> "Runtime":
        device = resolve_device(config.device, dist_info().local_rank)
        info = init_distributed(device)
        seed_everything(config.seed + info.rank)  # per-process dropout; DDP copies rank 0's weights
        return cls(device, info, autocast_dtype(config.precision, device))

    def autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def wrap(self, model: nn.Module) -> nn.Module:
        """DistributedDataParallel around `model` under torchrun, else the model itself."""
        if self.info.world_size == 1:
            return model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DDP(model, device_ids=device_ids)


def restore(state: TrainState, ckpt_dir: Path, resume: bool) -> Path | None:
    """Load the newest usable checkpoint into `state` when resuming; return its path. Without
    `resume`, a folder that already has checkpoints is an error (never overwrite a run)."""
    if not resume:
        if latest_checkpoint(ckpt_dir) is not None:
            raise BertkitError(
                f"{ckpt_dir.parent} already has checkpoints: resume, or choose a new out_dir"
            )
        return None
    found = newest_usable(ckpt_dir)
    if found is None:
        log.info("no checkpoint in %s: starting from step 0", ckpt_dir)
        return None
    path, content = found
    state.load_state_dict(content, state.clock.info, str(path))
    log.info("resumed from %s (step %d)", path, state.step)
    return path


def open_metrics(config: TrainConfig, start_step: int, info: DistInfo) -> MetricsLog | None:
    """Rank 0's metrics log, with the lines past `start_step` (redone by a resumed run) dropped."""
    if not info.is_main:
        return None
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir / "checkpoints")
    metrics = MetricsLog(out_dir, config.tensorboard)
    metrics.truncate_after(start_step)  # a fresh run starts an empty file
    return metrics


def accumulate(
    ddp_model: nn.Module,
    window: list[Batch],
    step: StepFn,
    count: Callable[[Batch], dict[str, float]],
    runtime: Runtime,
) -> tuple[dict[str, float], dict[str, float]]:
    """Forward and backward over the micro-batches of one optimizer step. Returns the summed loss
    and metrics (over micro-batches and processes) and the step's `totals`."""
    window = [_to_device(batch, runtime.device) for batch in window]
    totals: dict[str, float] = {}
    for batch in window:
        for key, value in count(batch).items():
            totals[key] = totals.get(key, 0.0) + float(value)
    totals = all_reduce_sum(totals, runtime.device)

    sums = {"loss": 0.0}
    world_size = runtime.info.world_size
    for i, batch in enumerate(window):
        is_last = i == len(window) - 1
        # Gradients are all-reduced once per optimizer step, on the last micro-batch.
        sync = nullcontext() if is_last or world_size == 1 else cast(DDP, ddp_model).no_sync()
        with sync:
            with runtime.autocast():
                loss, step_metrics = step(ddp_model, batch, totals)
            # DDP averages gradients over processes; the loss is already normalised by the
            # global totals, so scale back up to get the gradient of the global mean.
            if not getattr(step, "runs_backward", False):
                (loss * world_size).backward()
        sums["loss"] += loss.item()
        for key, value in step_metrics.items():
            sums[key] = sums.get(key, 0.0) + float(value)
    return all_reduce_sum(sums, runtime.device), totals


@dataclass
class Stop:
    why: str  # one line for the log and TrainResult.stopped
    is_preempted: bool = False  # a signal: save at once, no evaluation


def stop_reason(
    config: TrainConfig, state: TrainState, signals: StopSignals, runtime: Runtime
) -> Stop | None:
    """Why the run stops after this step, the same on every process, or None to go on."""
    is_signalled = signals.received is not None
    if runtime.info.world_size > 1:  # any process's signal stops them all at this step
        is_signalled = all_reduce_sum({"s": float(is_signalled)}, runtime.device)["s"] > 0
    if is_signalled:
        name = signals.received.name if signals.received else "a stop signal"
        return Stop(f"{name} received; checkpoint saved at this step", is_preempted=True)
    if state.step >= config.max_steps:
        return Stop(f"reached max_steps ({config.max_steps})")
    if config.time_limit_minutes and state.scheduler.get_last_lr()[0] == 0:
        minutes = state.clock.seconds / 60
        return Stop(
            f"time limit of {config.time_limit_minutes:g} min reached after {minutes:.2f} min "
            f"(planned up to {config.max_steps} steps); the learning rate decayed to 0"
        )
    return None


def run_evaluation(
    state: TrainState,
    evaluate: Callable[[nn.Module], dict[str, float]],
    runtime: Runtime,
    metrics: MetricsLog | None,
    out_dir: Path,
) -> dict:
    """`evaluate` in eval mode; log it, and save the model to out_dir/best when it is the best."""
    model = state.model
    model.eval()
    with torch.no_grad(), runtime.autocast():
        results = {k: float(v) for k, v in evaluate(model).items()}
    model.train()
    record = {"split": "eval", "step": state.step, **results}
    if metrics is not None:
        metrics.log(record)
        metrics.plot()
    if state.best.update(results, state.step) and runtime.info.is_main:
        cast(PreTrainedBert, model).save_pretrained(out_dir / "best")
        log.info("step %d: best %s so far (%.4f)", state.step, state.best.metric, state.best.value)
    return record


def save(state: TrainState, ckpt_dir: Path, keep_last: int, info: DistInfo) -> Path:
    """Checkpoint `state` (every process takes part; rank 0 writes)."""
    content = state.state_dict()
    if info.is_main:
        return save_checkpoint(ckpt_dir, content, keep_last)
    return checkpoint_path(ckpt_dir, state.step)


def _resume_hint(stop: Stop, last_saved: Path | None) -> str:
    return f" ({last_saved}; continue with --resume)" if stop.is_preempted else ""


def _clip(model: nn.Module, max_norm: float) -> float:
    if max_norm > 0:
        return float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm))
    norms = [p.grad.detach().norm() for p in model.parameters() if p.grad is not None]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0


def _to_device(batch: Batch, device: torch.device) -> Batch:
    return {key: value.to(device, non_blocking=True) for key, value in batch.items()}


def _update_progress(
    progress, config: TrainConfig, state: TrainState, stop: "Stop | None", loss: float | None
) -> None:
    """Advance the bar: by a step, or for a time-limited run by the seconds used (its step
    budget is only a cap), with the step count and the last logged loss beside them."""
    if config.time_limit_minutes:
        shown = f"step {state.step}" + (f", loss {loss:.4f}" if loss is not None else "")
        progress.set_postfix_str(shown, refresh=False)
        progress.update(min(state.clock.seconds, progress.total) - progress.n)
        return
    progress.update(1)
    if stop is not None:
        progress.total = state.step  # the real end: the bar closes full


def _progress_bar(config: TrainConfig, start_step: int, info: DistInfo, elapsed: float = 0.0):
    from bertkit.progress import progress_bar, time_bar

    disable = not (config.progress and info.is_main)
    if config.time_limit_minutes:
        seconds = 60 * config.time_limit_minutes
        return time_bar(
            seconds, elapsed, desc="train", disable=disable, postfix=f"step {start_step}"
        )
    return progress_bar(
        total=config.max_steps,
        initial=start_step,
        disable=disable,
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )
