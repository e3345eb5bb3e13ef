"""Batches that never hold two copies of one text (sentence-transformers' NO_DUPLICATES).

With in-batch negatives, a text that appears twice in a batch (two questions with the same
paragraph) is the positive of one row and a false negative of the other. Each epoch shuffles the
rows with a seed of (seed, epoch), then fills batches in that order, deferring a row that shares
a text with the batch being filled to a later batch. A batch that cannot be filled (the rows left
share too many texts) goes out smaller, as sentence-transformers' sampler does without drop_last,
so every row is seen once per epoch (under torchrun, each global batch is cut to a multiple of
the W processes, dropping at most W - 1 of its rows, and each process takes every W-th row:
all processes hold the same number of rows). Same interface as `bertkit.data.ShuffledBatches`
(the loop saves its one counter in checkpoints, so a resumed run continues with the same
batches).
"""

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from bertkit.errors import BertkitError


def no_duplicate_batches(
    texts: Sequence[Sequence[str]], batch_size: int, order: Sequence[int]
) -> list[list[int]]:
    """Batches of up to `batch_size` row indices, in `order`, no text repeated within a batch."""
    remaining = list(order)
    batches = []
    while remaining:
        batch, seen, deferred = [], set(), []
        for position, i in enumerate(remaining):
            if set(texts[i]) & seen:
                deferred.append(i)
                continue
            batch.append(i)
            seen.update(texts[i])
            if len(batch) == batch_size:
                deferred.extend(remaining[position + 1 :])
                break
        batches.append(batch)
        remaining = deferred
    return batches


class NoDuplicatesBatches:
    """Endless batches of `batch_size` rows (`texts[i]`: row i's texts) made by `make_batch`;
    this process's `batch_size` rows of a global batch of `batch_size * world_size`."""

    def __init__(
        self,
        texts: Sequence[Sequence[str]],
        batch_size: int,
        make_batch: Callable[[np.ndarray, int], object],
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ):
        self.texts, self.batch_size, self.make_batch, self.seed = (
            texts,
            batch_size,
            make_batch,
            seed,
        )
        self.rank, self.world_size = rank, world_size
        self.position = 0  # batches produced so far
        self._epochs: dict[int, list[list[int]]] = {}  # the current epoch's batches
        self._lengths: dict[int, int] = {}  # batches per epoch, for every epoch seen
        self.batches_per_epoch = len(self._epoch(0))
        if self.batches_per_epoch == 0:
            raise BertkitError("no rows to make batches of")

    def _epoch(self, epoch: int) -> list[list[int]]:
        if epoch not in self._epochs:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.texts)).tolist()
            world = self.world_size
            batches = no_duplicate_batches(self.texts, self.batch_size * world, order)
            batches = [b[: len(b) // world * world] for b in batches if len(b) >= world]
            self._epochs = {epoch: batches}
            self._lengths[epoch] = len(self._epochs[epoch])
        return self._epochs[epoch]

    def _length(self, epoch: int) -> int:
        return self._lengths[epoch] if epoch in self._lengths else len(self._epoch(epoch))

    def indices(self, position: int) -> tuple[int, np.ndarray]:
        """The epoch and row indices of batch number `position` (epochs may differ in length)."""
        epoch = 0
        while position >= self._length(epoch):
            position -= self._length(epoch)
            epoch += 1
        return epoch, np.array(self._epoch(epoch)[position][self.rank :: self.world_size])

    def __iter__(self) -> Iterator:
        while True:
            epoch, indices = self.indices(self.position)
            self.position += 1
            yield self.make_batch(indices, epoch)

    def state_dict(self) -> dict:
        return {"position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.position = int(state["position"])
