"""The exact vectors of an IVF-PQ index, memory-mapped from .npy files, for re-ranking.

PQ codes rank candidates approximately; the final order comes from the exact cosine of each
candidate, read from disk. Parquet cannot serve that: its pages are compressed and encoded, so a
row is reached only by decoding its page. A float32 .npy file is one header and then the rows, so
`np.load(mmap_mode="r")` reads row `i` at a fixed offset and the page cache keeps the hot rows: the
index needs memory for its codes, not for its vectors.

    exact-000001.npy   (count, C) float32, unit length: the vectors of keys first_key ...

Each generation that adds passages writes one such file; the manifest lists them with their
first key and count (`vectors["exact"]`).
"""

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import atomic_path


def write_exact(path: Path, chunks: Iterable[np.ndarray], count: int, dimension: int) -> None:
    """Write `count` vectors arriving in chunks to a .npy file at `path` (temp name + rename)."""
    with atomic_path(path) as tmp:
        array = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=np.float32, shape=(count, dimension)
        )
        start = 0
        for chunk in chunks:
            array[start : start + len(chunk)] = chunk
            start += len(chunk)
        if start != count:
            raise BertkitError(f"{path}: got {start} vectors, expected {count}")
        array.flush()
        del array


class ExactVectors:
    """Vectors by passage key, across the files of `entries` ({"file", "first_key", "count"})."""

    def __init__(self, directory: str | Path, entries: list[dict]):
        self.entries = sorted(entries, key=lambda e: e["first_key"])
        self.arrays = [np.load(Path(directory) / e["file"], mmap_mode="r") for e in self.entries]
        self.starts = np.array([e["first_key"] for e in self.entries], dtype=np.int64)

    def gather(self, keys: np.ndarray) -> np.ndarray:
        """(..., C) vectors of `keys` (any shape); a key -1 (no hit) gives a zero vector."""
        flat = keys.reshape(-1)
        out = np.zeros((len(flat), self.arrays[0].shape[1]), dtype=np.float32)
        which = np.searchsorted(self.starts, flat, side="right") - 1
        for number, array in enumerate(self.arrays):
            rows = np.flatnonzero((which == number) & (flat >= 0))
            offsets = flat[rows] - self.starts[number]
            order = np.argsort(offsets)  # ascending offsets: sequential-ish reads of the map
            out[rows[order]] = array[offsets[order]]
        return out.reshape(*keys.shape, -1)

    def rerank(
        self, queries: np.ndarray, keys: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, keys), each (Q, k): the candidates `keys` (Q, R) ordered by exact cosine."""
        vectors = self.gather(keys)  # (Q, R, C)
        scores = np.einsum("qc,qrc->qr", queries, vectors)
        scores[keys < 0] = -np.inf
        best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        top_keys = np.take_along_axis(keys, best, axis=1)
        top_scores = np.take_along_axis(scores, best, axis=1).astype(np.float32)
        return top_scores, np.where(np.isfinite(top_scores), top_keys, -1)
