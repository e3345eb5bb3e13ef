"""Tokenized pretraining instances on disk: flat binary arrays per shard, read memory-mapped.

A shard `NAME` is `NAME.tokens.bin` (all token ids back to back, uint16 when the vocabulary fits),
`NAME.instances.bin` (int64 rows: start, length, num_a, is_random_next) and, with static masking,
`NAME.labels.bin` (int32, -100 where nothing is predicted). Each file is written whole to a
temporary name and renamed; `index.json` (written last by prepare.py) lists the shards and dtypes.
"""

from pathlib import Path

import numpy as np

from bertkit.data.instances import Instance
from bertkit.files import atomic_path

INSTANCE_FIELDS = 4  # start, length, num_a, is_random_next


def token_dtype(vocab_size: int) -> str:
    return "uint16" if vocab_size <= 2**16 else "int32"


def write_shard(
    directory: Path,
    name: str,
    instances: list[Instance],
    dtype: str,
    labels: list[np.ndarray] | None = None,
) -> dict:
    """Write one shard; returns its index entry {"name", "instances", "tokens"}."""
    lengths = np.array([len(inst.tokens) for inst in instances], dtype=np.int64)
    table = np.zeros((len(instances), INSTANCE_FIELDS), dtype=np.int64)
    table[:, 0] = np.cumsum(lengths) - lengths
    table[:, 1] = lengths
    table[:, 2] = [inst.num_a for inst in instances]
    table[:, 3] = [inst.is_random_next for inst in instances]
    arrays = {
        "tokens": np.fromiter((t for inst in instances for t in inst.tokens), dtype=dtype),
        "instances": table,
    }
    if labels is not None:
        arrays["labels"] = np.concatenate(labels).astype(np.int32)
    for kind, array in arrays.items():
        with atomic_path(directory / f"{name}.{kind}.bin") as tmp:
            array.tofile(tmp)
    return {"name": name, "instances": len(instances), "tokens": int(lengths.sum())}


class ShardReader:
    """Random access to the instances of a list of shards, without loading them into memory."""

    def __init__(self, directory: Path, shards: list[dict], dtype: str, has_labels: bool):
        shards = [s for s in shards if s["instances"]]  # an empty file cannot be memory-mapped
        self.tokens = [
            np.memmap(_path(directory, s, "tokens"), dtype=dtype, mode="r") for s in shards
        ]
        self.tables = [
            np.memmap(_path(directory, s, "instances"), dtype=np.int64, mode="r").reshape(
                -1, INSTANCE_FIELDS
            )
            for s in shards
        ]
        self.labels = (
            [np.memmap(_path(directory, s, "labels"), dtype=np.int32, mode="r") for s in shards]
            if has_labels
            else None
        )
        self.ends = np.cumsum([s["instances"] for s in shards])

    def __len__(self) -> int:
        return int(self.ends[-1]) if len(self.ends) else 0

    def get(self, index: int) -> tuple[np.ndarray, int, bool, np.ndarray | None]:
        """(token ids, num_a, is_random_next, static labels or None) of instance `index`."""
        shard = int(np.searchsorted(self.ends, index, side="right"))
        row = index - (int(self.ends[shard - 1]) if shard else 0)
        start, length, num_a, is_random_next = (int(v) for v in self.tables[shard][row])
        tokens = np.asarray(self.tokens[shard][start : start + length], dtype=np.int64)
        labels = None
        if self.labels is not None:
            labels = np.asarray(self.labels[shard][start : start + length], dtype=np.int64)
        return tokens, num_a, bool(is_random_next), labels


def _path(directory: Path, shard: dict, kind: str) -> Path:
    return directory / f"{shard['name']}.{kind}.bin"
