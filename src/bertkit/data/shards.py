"""Tokenized pretraining instances on disk: flat binary arrays per shard, read memory-mapped.

A shard `NAME` is `NAME.tokens.bin` (all token ids back to back, uint16 when the vocabulary fits),
`NAME.instances.bin` (int64 rows: start, length, num_a, is_random_next) and, with static masking,
`NAME.labels.bin` (int32, -100 where nothing is predicted). Each file is written whole to a
temporary name and renamed; `index.json` (written last by prepare.py) lists the shards and dtypes.
"""

from pathlib import Path

import numpy as np

from bertkit.data.instances import Instance
from bertkit.errors import BertkitError
from bertkit.files import atomic_path

INDEX_FILE = "index.json"  # the shards of a prepared folder, its tokenizer and counts
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
    """Random access to the instances of a list of shards, without loading them into memory.

    Each shard's files are checked against its index entry (sizes) when opened, and each
    instance's row when read, so a damaged folder is one error naming the file, never a crash.
    """

    def __init__(
        self,
        directory: Path,
        shards: list[dict],
        dtype: str,
        has_labels: bool,
        vocab_size: int | None = None,
    ):
        if dtype not in ("uint16", "int32"):
            raise BertkitError(f"{directory}: token_dtype must be uint16 or int32, got {dtype!r}")
        shards = [_checked_entry(directory, s) for s in shards]
        shards = [s for s in shards if s["instances"]]  # an empty file cannot be memory-mapped
        kinds = {"tokens": (dtype, "tokens", 1), "instances": (np.int64, "instances", 4)}
        if has_labels:
            kinds["labels"] = (np.int32, "tokens", 1)
        arrays: dict[str, list[np.ndarray]] = {kind: [] for kind in kinds}
        for shard in shards:
            for kind, (kind_dtype, count, width) in kinds.items():
                path = _path(directory, shard, kind)
                expected = shard[count] * width * np.dtype(kind_dtype).itemsize
                size = path.stat().st_size if path.is_file() else -1
                if size != expected:
                    found = "missing" if size < 0 else f"{size} bytes"
                    raise BertkitError(
                        f"{path}: {found}, index.json says {expected} bytes (damaged folder; "
                        "run prepare-pretraining again)"
                    )
                arrays[kind].append(np.memmap(path, dtype=kind_dtype, mode="r"))
        self.directory, self.names, self.vocab_size = (
            directory,
            [s["name"] for s in shards],
            vocab_size,
        )
        self.tokens = arrays["tokens"]
        self.tables = [table.reshape(-1, INSTANCE_FIELDS) for table in arrays["instances"]]
        self.labels = arrays["labels"] if has_labels else None
        self.ends = np.cumsum([s["instances"] for s in shards])

    def __len__(self) -> int:
        return int(self.ends[-1]) if len(self.ends) else 0

    def get(self, index: int) -> tuple[np.ndarray, int, bool, np.ndarray | None]:
        """(token ids, num_a, is_random_next, static labels or None) of instance `index`."""
        shard = int(np.searchsorted(self.ends, index, side="right"))
        row = index - (int(self.ends[shard - 1]) if shard else 0)
        start, length, num_a, is_random_next = (int(v) for v in self.tables[shard][row])
        tokens = np.asarray(self.tokens[shard][start : start + length], dtype=np.int64)
        is_bad_row = not (
            0 <= start and 0 < length and start + length <= len(self.tokens[shard])
        ) or not (0 <= num_a <= length and is_random_next in (0, 1))
        vocab_size = self.vocab_size or 2**31
        if is_bad_row or not 0 <= int(tokens.min()) <= int(tokens.max()) < vocab_size:
            name = f"{self.names[shard]}.{'instances' if is_bad_row else 'tokens'}.bin"
            raise BertkitError(
                f"{self.directory / name}: instance {row} is damaged "
                f"(start {start}, length {length}; run prepare-pretraining again)"
            )
        labels = None
        if self.labels is not None:
            labels = np.asarray(self.labels[shard][start : start + length], dtype=np.int64)
            is_label = (labels == -100) | (labels >= 0) & (labels < vocab_size)
            if not is_label.all():
                raise BertkitError(
                    f"{self.directory / self.names[shard]}.labels.bin: instance {row} is damaged "
                    "(run prepare-pretraining again)"
                )
        return tokens, num_a, bool(is_random_next), labels


def _checked_entry(directory: Path, shard) -> dict:
    """An index.json shard entry {"name", "instances", "tokens"} with the right types."""
    entry = shard if isinstance(shard, dict) else {}
    name = entry.get("name")
    is_count = [isinstance(entry.get(k), int) and entry[k] >= 0 for k in ("instances", "tokens")]
    if not isinstance(name, str) or not name or "/" in name or not all(is_count):
        raise BertkitError(
            f"{directory / 'index.json'}: shard entry {shard!r:.60} needs a name and counts"
        )
    return shard


def _path(directory: Path, shard: dict, kind: str) -> Path:
    return directory / f"{shard['name']}.{kind}.bin"
