"""AdamW with BERT's parameter groups, and the linear warmup then linear decay schedule.

Devlin et al. 2018 (appendix A.2) and google-research/bert `optimization.py`: no weight decay on
biases and LayerNorm weights; the learning rate rises linearly to its peak, then falls to zero.
A run with a time limit decays by time as well as by steps (whichever is further along), so it
reaches zero when its time is up, however many steps fitted.
"""

from collections.abc import Callable

import torch
from torch import nn

from bertkit.train.config import TrainConfig


def param_groups(model: nn.Module, weight_decay: float, head_lr: float = 0.0) -> list[dict]:
    """Two groups: matrices and embeddings decay; biases and LayerNorm weights (all 1-D) do not.
    With `head_lr`, the parameters the model names in `head_parameters()` (a fresh task head)
    form two more groups at that peak rate (the schedule scales every group alike)."""
    head = {id(p) for p in getattr(model, "head_parameters", list)()} if head_lr else set()
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {
        (False, True): [],
        (False, False): [],
        (True, True): [],
        (True, False): [],
    }  # (is a head parameter, decays): decaying matrices first, the encoder's groups always
    for param in model.parameters():  # parameters() yields a tied matrix once
        if param.requires_grad:
            groups[(id(param) in head, param.ndim >= 2)].append(param)
    result = []
    for (is_head, decays), params in groups.items():
        if is_head and not params:
            continue
        group: dict = {"params": params, "weight_decay": weight_decay if decays else 0.0}
        if is_head:
            group["lr"] = head_lr
        result.append(group)
    return result


def build_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW, fused into one kernel per step on CPU and GPU (the same update as the per-tensor
    loop, to float rounding: tests/train/test_optim.py). Build it once the model is on its
    device."""
    devices = {param.device.type for param in model.parameters()}
    return torch.optim.AdamW(
        param_groups(model, config.weight_decay, config.head_lr),
        lr=config.lr,
        betas=(config.adam_beta1, config.adam_beta2),
        eps=config.adam_eps,
        fused=devices <= {"cpu", "cuda"} or None,
    )


def linear_schedule(step: int, warmup_steps: int, total_steps: int) -> float:
    """The learning-rate multiplier at `step` (0-based): 0 -> 1 over warmup, then 1 -> 0."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps  # the first update already gets a non-zero rate
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def time_limited_schedule(
    step: int, warmup_steps: int, total_steps: int, time_used: float
) -> float:
    """`linear_schedule`, capped by a line falling from 1 to 0 over the time budget
    (`time_used`: the fraction spent): a run stopped by its time limit ends fully decayed."""
    return min(linear_schedule(step, warmup_steps, total_steps), max(0.0, 1.0 - time_used))


def build_scheduler(
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    seconds_used: Callable[[], float] | None = None,
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warmup then decay over `config.max_steps`; with `config.time_limit_minutes`, also
    over the time budget, read from `seconds_used()` (the same on every process)."""
    warmup, total = config.num_warmup_steps, config.max_steps
    budget = 60 * config.time_limit_minutes
    if not budget or seconds_used is None:
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: linear_schedule(step, warmup, total)
        )
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: time_limited_schedule(step, warmup, total, seconds_used() / budget),
    )
