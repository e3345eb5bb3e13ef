"""An embedded corpus on disk: Parquet shards of (id, vector, text hash), a manifest naming them.

    OUT/manifest.json              the commit point, replaced (temp name + rename) after each shard
    OUT/part-<digest of input>.parquet   one shard per input file: rows in the file's order

The manifest records the model (its fingerprint, pooling, layer, length limit, dimension), the
dtype that ran it, and per shard: the input file (size, mtime, content digest), the shard file, its
row count and the SHA-256 of its bytes. A shard is complete only when the manifest lists it and its
file still has those rows and that digest; anything else in OUT is debris of a killed run.

`bertkit embed --engine ray` writes it (bertkit/ray/); `bertkit index build --from-embeddings`
reads it chunk by chunk, without the texts. pyarrow (the `ray` extra) is imported when needed.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import write_json

MANIFEST = "manifest.json"
FORMAT = "bertkit-embeddings"
VERSION = 1


@dataclass
class Shard:
    input: str  # the input file, as the job was given it
    size: int  # the input's size and mtime when it was read: a changed input is re-embedded
    mtime_ns: int
    input_digest: str  # SHA-256 of the input's bytes
    file: str  # the shard's name in OUT
    rows: int
    digest: str  # SHA-256 of the shard file's bytes


@dataclass
class EmbeddingsManifest:
    model: dict  # path, fingerprint and the embedding options (pipelines/fingerprint.py)
    dtype: str
    shards: list[Shard] = field(default_factory=list)  # in input order
    rows: int = 0
    complete: bool = False  # every input of the last run has its shard
    format: str = FORMAT
    version: int = VERSION

    def to_json(self) -> dict:
        return asdict(self)


def import_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise BertkitError("embedding shards need pyarrow: pip install 'bertkit[ray]'") from None
    return pyarrow


def shard_name(input_path: str) -> str:
    """A shard's file name: stable for an input across runs, whatever else the corpus holds."""
    return f"part-{hashlib.sha256(input_path.encode()).hexdigest()[:16]}.parquet"


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_shard(path: Path, ids: list[str], vectors: np.ndarray, hashes: list[str]) -> str:
    """Write a shard to `path` (a temporary name: the caller renames it) -> its SHA-256."""
    pa = import_pyarrow()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dimension)
    table = pa.table({"id": pa.array(ids, pa.string()), "vector": column, "text_hash": hashes})
    pa.parquet.write_table(table, path)
    return file_digest(path)


def read_manifest(directory: str | Path) -> EmbeddingsManifest:
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise BertkitError(f"{directory}: not an embeddings directory (no {MANIFEST})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        shards = [Shard(**shard) for shard in data.pop("shards")]
        manifest = EmbeddingsManifest(**data, shards=shards)
    except (json.JSONDecodeError, TypeError, KeyError, UnicodeDecodeError) as error:
        raise BertkitError(f"{path}: not a bertkit embeddings manifest ({error})") from None
    if manifest.format != FORMAT or manifest.version > VERSION:
        raise BertkitError(f"{path}: format {manifest.format} v{manifest.version} is not readable")
    return manifest


def write_manifest(directory: str | Path, manifest: EmbeddingsManifest) -> None:
    manifest.rows = sum(shard.rows for shard in manifest.shards)
    write_json(Path(directory) / MANIFEST, manifest.to_json())


def shard_rows(path: Path) -> int:
    """The row count a Parquet file's footer declares; -1 for a file that is not one."""
    pa = import_pyarrow()
    try:
        return pa.parquet.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException):
        return -1


def is_verified(directory: Path, shard: Shard) -> bool:
    """The shard's file is there, with the rows and the digest the manifest records."""
    path = Path(directory) / shard.file
    return path.is_file() and shard_rows(path) == shard.rows and file_digest(path) == shard.digest


def iter_vectors(
    directory: str | Path, manifest: EmbeddingsManifest, chunk_rows: int = 65_536
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, float32 (n, C) vectors) in chunks of at most `chunk_rows`, shards in manifest order;
    each shard is checked against its recorded digest first. Texts are never read."""
    pa = import_pyarrow()
    directory = Path(directory)
    dimension = manifest.model["dimension"]
    for shard in manifest.shards:
        if not is_verified(directory, shard):
            raise BertkitError(
                f"{directory / shard.file}: missing or changed since it was written "
                f"(the manifest records {shard.rows} rows, digest {shard.digest[:12]})"
            )
        parquet = pa.parquet.ParquetFile(directory / shard.file)
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=["id", "vector"]):
            flat = batch.column(1).flatten().to_numpy(zero_copy_only=False)
            yield batch.column(0).to_pylist(), flat.reshape(-1, dimension).astype(np.float32)


def read_shard(path: Path, dimension: int) -> tuple[list[str], np.ndarray, list[str]]:
    """(ids, (n, C) vectors, text hashes) of one shard, whole."""
    pa = import_pyarrow()
    table = pa.parquet.read_table(path)
    flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return (
        table.column("id").to_pylist(),
        flat.reshape(-1, dimension).astype(np.float32),
        table.column("text_hash").to_pylist(),
    )
