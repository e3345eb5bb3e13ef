"""What a checkpoint captures: the live training objects and the loop's own counters.

`TrainState.state_dict()` is the content of a checkpoint file (checkpoint.py writes it):
model, optimizer, scheduler, the data position, every process's RNG states, the best evaluation
so far, the training time used, and the state of an `evaluate` that keeps some (e.g. the best
fine-tuned model so far). Loading it back makes the run continue as if never stopped.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from bertkit.errors import BertkitError
from bertkit.train.dist import DistInfo, all_gather_object, all_reduce_sum
from bertkit.train.rng import get_rng_state, set_rng_state


@runtime_checkable
class Stateful(Protocol):
    """What a checkpoint can save and restore besides torch's objects (the data position, ...)."""

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


@dataclass
class Best:
    """The best value of `metric` among the evaluations so far (`mode`: "max" or "min")."""

    metric: str | None
    mode: str = "max"
    value: float | None = None
    step: int | None = None

    def update(self, results: dict[str, float], step: int) -> bool:
        """Record `results` of the evaluation at `step`; True when they are the new best."""
        value = results.get(self.metric) if self.metric else None
        if value is None:
            return False
        if self.value is not None:
            is_better = value > self.value if self.mode == "max" else value < self.value
            if not is_better:
                return False
        self.value, self.step = value, step
        return True


@dataclass
class TrainClock:
    """Training wall time, summed over resumed runs. Every process reads rank 0's clock, so all of
    them stop, and decay their learning rate, at the same step."""

    info: DistInfo
    device: torch.device
    previous: float = 0.0  # seconds used by the runs before this one
    start: float = field(default_factory=time.monotonic)
    seconds: float = 0.0  # agreed elapsed seconds, as of the last tick()

    def tick(self) -> float:
        """Read the clock (a collective under torchrun: call it on every process)."""
        local = self.previous + time.monotonic() - self.start
        if self.info.world_size > 1:
            local = all_reduce_sum({"t": local if self.info.is_main else 0.0}, self.device)["t"]
        self.seconds = local
        return local


@dataclass
class LogInterval:
    """Sums over the steps since the last metrics line, and the wall time they took. Saved in
    checkpoints, so the first line after a resume averages the same steps as without the stop."""

    steps: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    tokens: float = 0.0
    grad_norm: float = 0.0
    start: float = field(default_factory=time.perf_counter)

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

    def state_dict(self) -> dict:
        counts = {k: getattr(self, k) for k in ("steps", "sums", "tokens", "grad_norm")}
        return {**counts, "seconds": time.perf_counter() - self.start}

    def load_state_dict(self, state: dict) -> None:
        self.steps, self.sums = state["steps"], dict(state["sums"])
        self.tokens, self.grad_norm = state["tokens"], state["grad_norm"]
        self.start = time.perf_counter() - state["seconds"]


@dataclass
class TrainState:
    """The objects a checkpoint saves and restores, and the number of optimizer steps done."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    batches: Stateful  # the data position
    evaluate: Callable[[nn.Module], dict[str, float]] | None  # saved too when it is Stateful
    best: Best
    clock: TrainClock
    step: int = 0
    interval: LogInterval = field(default_factory=LogInterval)  # since the last metrics line

    def state_dict(self) -> dict:
        """The checkpoint content (a collective under torchrun: every process's RNG states)."""
        return {
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "data": self.batches.state_dict(),
            "rng": all_gather_object(get_rng_state()),  # every process's dropout stream
            "best_value": self.best.value,
            "best_step": self.best.step,
            "elapsed": self.clock.tick(),
            "interval": self.interval.state_dict(),
            "evaluate": self.evaluate.state_dict() if isinstance(self.evaluate, Stateful) else None,
        }

    def load_state_dict(self, state: dict, info: DistInfo, source: str) -> None:
        """Restore from a checkpoint's content; `source` names it in errors."""
        if len(state["rng"]) != info.world_size:
            raise BertkitError(
                f"{source} was saved by {len(state['rng'])} processes; resume it with as many"
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.batches.load_state_dict(state["data"])
        set_rng_state(state["rng"][info.rank])
        self.step = state["step"]
        self.best.value, self.best.step = state["best_value"], state["best_step"]
        self.clock.previous = state.get("elapsed", 0.0)
        if "interval" in state:
            self.interval.load_state_dict(state["interval"])
        if isinstance(self.evaluate, Stateful) and state.get("evaluate") is not None:
            self.evaluate.load_state_dict(state["evaluate"])
