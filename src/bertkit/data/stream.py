"""Endless, deterministic, resumable batches: the data stream the training loop consumes.

Epoch e visits the examples in a permutation seeded by (seed, e). Under DDP each process takes its
own slice of every global batch, so a world of P processes with batch size B sees exactly the
examples a single process with batch size P*B sees. The whole state is one counter, so resuming
jumps straight to its position without reading the batches it skips.
"""

from collections.abc import Callable, Iterator

import numpy as np

from bertkit.errors import BertkitError


class ShuffledBatches:
    """Micro-batches of `batch_size` example indices, turned into batches by `make_batch`.

    Args:
        num_examples: size of the dataset; the last incomplete global batch of an epoch is dropped.
        make_batch: (indices, epoch) -> batch; the epoch lets it re-draw per-epoch randomness
            (dynamic masking) deterministically.
        rank, world_size: this process's slice of each global batch of batch_size * world_size.
    """

    def __init__(
        self,
        num_examples: int,
        batch_size: int,
        make_batch: Callable[[np.ndarray, int], object],
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        shuffle: bool = True,
    ):
        self.batches_per_epoch = num_examples // (batch_size * world_size)
        if self.batches_per_epoch == 0:
            raise BertkitError(
                f"{num_examples} examples are fewer than one global batch "
                f"({batch_size} x {world_size} processes)"
            )
        self.num_examples, self.batch_size = num_examples, batch_size
        self.make_batch, self.seed, self.shuffle = make_batch, seed, shuffle
        self.rank, self.world_size = rank, world_size
        self.position = 0  # micro-batches this process has produced so far
        self._epoch, self._order = -1, np.arange(0)

    def indices(self, position: int) -> tuple[int, np.ndarray]:
        """The epoch and the example indices of this process's micro-batch number `position`."""
        epoch, j = divmod(position, self.batches_per_epoch)
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._epoch = epoch
            self._order = (
                rng.permutation(self.num_examples) if self.shuffle else np.arange(self.num_examples)
            )
        start = (j * self.world_size + self.rank) * self.batch_size
        return epoch, self._order[start : start + self.batch_size]

    def __iter__(self) -> Iterator:
        while True:
            epoch, indices = self.indices(self.position)
            self.position += 1
            yield self.make_batch(indices, epoch)

    def state_dict(self) -> dict:
        return {"position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.position = int(state["position"])
