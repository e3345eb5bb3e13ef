"""The cached (GradCache) training step: a large in-batch-negatives batch at a mini-batch's memory.

Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup":
1. embed the batch's texts mini-batch by mini-batch without a graph;
2. compute the loss on all the embeddings and its gradient with respect to them (cheap: (N, C));
3. re-embed each mini-batch with a graph and backpropagate that mini-batch's slice of the
   gradient, so only one mini-batch's activations are alive at a time.
The parameter gradients equal those of the plain loss on the whole batch. Dropout draws the same
masks in steps 1 and 3 because each mini-batch's random state is saved and restored.

The step runs backward itself (the loop's `runs_backward` contract, train/loop.py).
"""

from contextlib import nullcontext

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from bertkit.tasks.embed.model import SentenceEncoder
from bertkit.train.dist import dist_info


class CachedStep:
    """The loop's `step` for a `SentenceEncoder` whose batches are cut into `mini_batch_size`
    texts per forward pass."""

    runs_backward = True

    def __init__(self, mini_batch_size: int):
        self.mini_batch_size = mini_batch_size

    def __call__(
        self, model: nn.Module, batch: dict[str, torch.Tensor], totals: dict[str, float]
    ) -> tuple[torch.Tensor, dict]:
        encoder: SentenceEncoder = model.module if isinstance(model, DDP) else model  # type: ignore[assignment]
        assert encoder.loss is not None
        ids, mask = batch["input_ids"], batch["attention_mask"]
        size = self.mini_batch_size
        chunks = list(zip(ids.split(size), mask.split(size), strict=True))

        states, cached = [], []
        with torch.no_grad():
            for chunk_ids, chunk_mask in chunks:
                states.append(_rng_state(ids.device))
                cached.append(model(chunk_ids, chunk_mask, compute_loss=False).embeddings)
        embeddings = torch.cat(cached).requires_grad_()
        num_rows = ids.size(0) // encoder.num_roles
        loss = encoder.compute_loss(embeddings, batch.get("scores"))  # all processes' rows
        # The loop's contract: this micro-batch's share of the step's mean loss; DDP averages
        # gradients over processes, so each process scales its part up by the world size (the
        # gathered rows' gradients come back summed over processes: see dist.gather_rows).
        loss = loss * num_rows / max(totals["units"], 1.0)
        loss.backward()
        grads = embeddings.grad.split(self.mini_batch_size)  # type: ignore[union-attr]

        world_size = dist_info().world_size
        parts = zip(chunks, grads, states, strict=True)
        for i, ((chunk_ids, chunk_mask), grad, state) in enumerate(parts):
            is_last = i == len(chunks) - 1
            sync = nullcontext() if is_last or not isinstance(model, DDP) else model.no_sync()
            with sync:
                _set_rng_state(state, ids.device)
                out = model(chunk_ids, chunk_mask, compute_loss=False).embeddings
                # d/dθ sum(e · g) = (de/dθ)^T g: the chain rule through the cached gradient.
                (out * grad).sum().mul(world_size).backward()
        return loss.detach(), {}


def _rng_state(device: torch.device) -> tuple:
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return torch.get_rng_state(), cuda


def _set_rng_state(state: tuple, device: torch.device) -> None:
    cpu, cuda = state
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state(cuda, device)
