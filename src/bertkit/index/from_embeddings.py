"""`build_index_from_embeddings`: an index from the shards of `bertkit embed --engine ray`.

Nothing is embedded and no text is read: the vectors stream from the Parquet shards in chunks
(pipelines/embedding_shards.py), so the corpus never has to fit in memory. IVF-PQ is trained on a
sample first (one pass to draw it, one to add), and its exact vectors are written beside it for
re-ranking (exact.py). The index is an ordinary index directory (store.py): generation 1, the
model's fingerprint from the embeddings manifest, passages with their ids and no text (search
answers ids; the texts stay where the corpus is), so add, remove and search work as for any index.
"""

import json
import logging
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import atomic_path
from bertkit.index.exact import write_exact
from bertkit.index.store import Manifest, commit, generation_name, write_lock
from bertkit.index.vectors import VectorSpec, add_vectors, new_index, save_index, train_vectors
from bertkit.pipelines.embed import unit
from bertkit.pipelines.embedding_shards import iter_vectors, read_manifest
from bertkit.progress import progress_bar

logger = logging.getLogger(__name__)


def build_index_from_embeddings(
    embeddings: str | Path, out: str | Path, spec: VectorSpec | None = None, seed: int = 0
) -> Manifest:
    """Index the vectors of the embeddings directory `embeddings` into the new directory `out`."""
    embeddings, out = Path(embeddings), Path(out)
    if out.exists() and any(p.name != ".lock" for p in out.iterdir()):
        raise BertkitError(f"{out}: exists and is not empty; choose a new directory")
    source = read_manifest(embeddings)
    if not source.complete or not source.rows:
        raise BertkitError(f"{embeddings}: the embedding job has not finished (rerun it)")
    spec = spec or VectorSpec()
    kind = spec.kind_for(source.rows)
    dimension = source.model["dimension"]
    model = source.model | {"normalize": True}  # an index holds unit vectors
    vectors_info = {"file": None, "kind": kind, "spec": spec.to_json(), "metric": "inner_product"}
    manifest = Manifest(model=model, vectors=vectors_info | {"embeddings": str(embeddings)})
    with write_lock(out):
        index = new_index(kind, dimension, spec)
        if kind == "ivfpq":
            train_vectors(index, draw_sample(embeddings, source, spec.train_size, seed), spec)
        manifest.generation = 1
        segment = generation_name("passages", 1, ".jsonl")
        chunks = _add_chunks(embeddings, source, index, out / segment)
        if kind == "ivfpq":
            exact = generation_name("exact", 1, ".npy")
            write_exact(out / exact, chunks, source.rows, dimension)
            manifest.vectors["exact"] = [{"file": exact, "first_key": 0, "count": source.rows}]
        else:
            for _ in chunks:
                pass
        manifest.vectors["file"] = generation_name("vectors", 1, ".faiss")
        save_index(index, out / manifest.vectors["file"])
        manifest.segments = [segment]
        manifest.count = manifest.next_key = source.rows
        commit(out, manifest)
    logger.info("%s: %d passages (%s index)", out, manifest.count, kind)
    return manifest


def draw_sample(embeddings: Path, source, size: int, seed: int) -> np.ndarray:
    """`size` vectors drawn uniformly without replacement, in one streaming pass."""
    size = min(size, source.rows)
    wanted = np.sort(np.random.default_rng(seed).choice(source.rows, size, replace=False))
    sample, start = [], 0
    for _, vectors in iter_vectors(embeddings, source):
        lo, hi = np.searchsorted(wanted, [start, start + len(vectors)])
        sample.append(vectors[wanted[lo:hi] - start])
        start += len(vectors)
    return unit(np.concatenate(sample)).astype(np.float32)


def _add_chunks(embeddings: Path, source, index, segment: Path):
    """Add every chunk to `index` under keys 0..N-1 and write the passages' segment; yield
    each chunk's unit vectors (the exact copy IVF-PQ keeps). The segment is renamed into place
    once the last chunk is through."""
    seen: set[str] = set()
    key = 0
    bar = progress_bar(total=source.rows, desc="index", unit="vector")
    with atomic_path(segment) as tmp, tmp.open("w", encoding="utf-8") as f:
        for ids, vectors in iter_vectors(embeddings, source):
            vectors = unit(vectors).astype(np.float32)
            keys = np.arange(key, key + len(ids), dtype=np.int64)
            add_vectors(index, vectors, keys)
            for number, id_ in zip(keys.tolist(), ids, strict=True):
                if id_ in seen:
                    raise BertkitError(f"{embeddings}: id {id_!r} appears in two rows")
                seen.add(id_)
                f.write(json.dumps({"key": number, "id": id_, "text": "", "metadata": {}}) + "\n")
            key += len(ids)
            bar.update(len(ids))
            yield vectors
    bar.close()
