"""Processes working together: torchrun's environment, DDP set-up, and rank-0 printing.

Under `torchrun` (WORLD_SIZE > 1) the process group uses NCCL on GPUs and Gloo on CPUs; a plain
`python` run is a world of one, where every helper here is a cheap no-op.
"""

import logging
import os
from dataclasses import dataclass
from typing import cast

import torch
import torch.distributed as torch_dist

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def dist_info() -> DistInfo:
    """This process's place in the job, from torchrun's environment variables."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        rank, world = torch_dist.get_rank(), torch_dist.get_world_size()
    else:
        rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    return DistInfo(rank, world, int(os.environ.get("LOCAL_RANK", 0)))


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group when launched by torchrun (NCCL on GPU, Gloo on CPU)."""
    info = dist_info()
    if info.world_size > 1 and not torch_dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch_dist.init_process_group(backend=backend)
        log.debug("rank %d of %d joined the %s process group", info.rank, info.world_size, backend)
    return info


def is_distributed() -> bool:
    return torch_dist.is_available() and torch_dist.is_initialized()


def print0(*args, **kwargs) -> None:
    """print() on rank 0 only: the one place where training talks to the terminal."""
    if dist_info().is_main:
        print(*args, **kwargs)


def all_reduce_sum(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Sum a dict of numbers over all processes (every process must pass the same keys)."""
    if not is_distributed() or not values:
        return dict(values)
    keys = sorted(values)
    tensor = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=device)
    torch_dist.all_reduce(tensor)
    return dict(zip(keys, tensor.tolist(), strict=True))


def all_gather_object(obj) -> list:
    """Every process's `obj`, in rank order (a list of one outside torchrun)."""
    if not is_distributed():
        return [obj]
    gathered = [None] * torch_dist.get_world_size()
    torch_dist.all_gather_object(gathered, obj)
    return gathered


def barrier() -> None:
    if is_distributed():
        torch_dist.barrier()


def shutdown_distributed() -> None:
    """Leave the process group (after the last collective call of the run)."""
    if is_distributed():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward hands each process the gradient of its own slice, summed over
    the processes (every process's loss may depend on every slice). Gloo has no
    reduce_scatter, so the backward all-reduces the whole gradient and keeps the slice."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        ctx.rank, ctx.rows = torch_dist.get_rank(), tensor.size(0)
        parts = [torch.empty_like(tensor) for _ in range(torch_dist.get_world_size())]
        torch_dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, *grads: torch.Tensor) -> torch.Tensor:
        grad = grads[0].contiguous()
        torch_dist.all_reduce(grad)
        return grad[ctx.rank * ctx.rows : (ctx.rank + 1) * ctx.rows]


def gather_rows(tensor: torch.Tensor) -> torch.Tensor:
    """Every process's rows of `tensor` (the same number on each), in rank order, with gradients
    flowing back to each process's own rows; the tensor itself outside torchrun."""
    if not is_distributed():
        return tensor
    if tensor.requires_grad:
        return cast(torch.Tensor, _GatherWithGrad.apply(tensor))
    parts = [torch.empty_like(tensor) for _ in range(torch_dist.get_world_size())]
    torch_dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts)
