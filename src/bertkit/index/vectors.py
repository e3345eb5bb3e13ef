"""The dense side of the index: FAISS, exact (flat inner product) or approximate (HNSW, IVF-PQ).

Vectors are unit length, so inner product is cosine. Every vector carries its passage key (an
int64) through `IndexIDMap2`. "auto" is exact up to `flat_max` vectors, where one query costs one
matrix-vector product, and HNSW above it (Malkov & Yashunin 2016, arXiv:1603.09320). Removal is
physical in a flat index; HNSW cannot delete nodes from its graph, so removed keys are filtered out
at search time (an `IDSelector`) and the graph is rebuilt once they pass `COMPACT_SHARE`.
IVF-PQ (Jegou et al. 2011, "Product quantization for nearest neighbor search") keeps `pq_m`
bytes per vector instead of 4 per dimension: for corpora whose vectors do not fit in memory. It
is trained on a sample, searches `nprobe` of its `nlist` lists, and re-ranks its `rerank_depth`
best candidates with the exact vectors, memory-mapped from .npy files (exact.py); it stores the
passage keys itself (no `IndexIDMap2`) and removes them physically.
FAISS is the `index` extra, imported when first needed.
"""

import logging
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass

import numpy as np

from bertkit.errors import BertkitError

KINDS = ("auto", "flat", "hnsw", "ivfpq")
COMPACT_SHARE = 0.2  # removed share of an HNSW graph above which it is rebuilt


@dataclass
class VectorSpec:
    """How the dense index is built; recorded in the manifest."""

    kind: str = "auto"  # auto: flat up to flat_max vectors, then hnsw
    flat_max: int = 100_000  # vectors an exact index holds before "auto" switches to HNSW
    hnsw_m: int = 32  # graph neighbours per node (HNSW's M)
    ef_construction: int = 80  # candidate list while inserting
    ef_search: int = 128  # candidate list while searching (raised to k when smaller)
    nlist: int = 1024  # IVF-PQ's inverted lists (k-means centroids); about 4 * sqrt(N)
    pq_m: int = 48  # IVF-PQ's bytes per vector (sub-quantizers); must divide the dimension
    nprobe: int = 32  # IVF-PQ's lists searched per query
    rerank_depth: int = 200  # IVF-PQ candidates re-ranked with exact vectors (raised to k)
    train_size: int = 100_000  # vectors IVF-PQ is trained on (a sample of the corpus)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise BertkitError(f"index kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        names = ("flat_max", "hnsw_m", "ef_construction", "ef_search", "nlist", "pq_m", "nprobe")
        for name in (*names, "rerank_depth", "train_size"):
            if getattr(self, name) <= 0:
                raise BertkitError(f"{name} must be positive, got {getattr(self, name)}")

    def kind_for(self, count: int) -> str:
        """The concrete kind ("flat" or "hnsw") for an index of `count` vectors."""
        if self.kind != "auto":
            return self.kind
        return "flat" if count <= self.flat_max else "hnsw"

    def to_json(self) -> dict:
        return asdict(self)


def import_faiss():
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # one line per CPU feature tried
    try:
        import faiss
    except ImportError:
        raise BertkitError(
            "the vector index needs FAISS: pip install 'bertkit[index]' (or faiss-cpu)"
        ) from None
    return faiss


def new_index(kind: str, dimension: int, spec: VectorSpec):
    """An empty index of `kind` over `dimension`-d vectors, keyed by int64 passage keys."""
    faiss = import_faiss()
    if kind == "ivfpq":
        if dimension % spec.pq_m:
            raise BertkitError(f"pq_m ({spec.pq_m}) must divide the dimension ({dimension})")
        quantizer = faiss.IndexFlatIP(dimension)  # the IVF index keeps a reference to it
        metric = faiss.METRIC_INNER_PRODUCT
        index = faiss.IndexIVFPQ(quantizer, dimension, spec.nlist, spec.pq_m, 8, metric)
        index.nprobe = spec.nprobe
        return index
    if kind == "flat":
        base = faiss.IndexFlatIP(dimension)
    else:
        base = faiss.IndexHNSWFlat(dimension, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        base.hnsw.efConstruction = spec.ef_construction
        base.hnsw.efSearch = spec.ef_search
    return faiss.IndexIDMap2(base)


def train_vectors(index, sample: np.ndarray, spec: VectorSpec) -> None:
    """Train an IVF-PQ index on `sample`: k-means for the lists, then the PQ codebooks."""
    needed = max(spec.nlist, 256)  # 256 centroids per 8-bit sub-quantizer
    if len(sample) < needed:
        raise BertkitError(
            f"IVF-PQ with nlist {spec.nlist} trains on at least {needed} vectors, got "
            f"{len(sample)}: use a flat or hnsw index, or a smaller --nlist"
        )
    index.train(np.ascontiguousarray(sample, dtype=np.float32))


def add_vectors(index, vectors: np.ndarray, keys: np.ndarray) -> None:
    if not index.is_trained:  # an IVF-PQ built in one go trains on its own vectors
        train_vectors(index, vectors, VectorSpec(nlist=index.nlist))
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), keys.astype(np.int64))


def all_vectors(index) -> tuple[np.ndarray, np.ndarray]:
    """(vectors (N, C), keys (N,)) stored in `index`, in insertion order."""
    faiss = import_faiss()
    keys = faiss.vector_to_array(index.id_map).astype(np.int64)
    vectors = index.index.reconstruct_n(0, index.ntotal) if index.ntotal else None
    if vectors is None:
        vectors = np.zeros((0, index.d), dtype=np.float32)
    return vectors, keys


def rebuild(index, kind: str, spec: VectorSpec, drop: AbstractSet[int] = frozenset()):
    """A new index of `kind` with the vectors of `index`, less the keys in `drop`."""
    vectors, keys = all_vectors(index)
    keep = ~np.isin(keys, np.fromiter(drop, dtype=np.int64, count=len(drop)))
    fresh = new_index(kind, index.d, spec)
    add_vectors(fresh, vectors[keep], keys[keep])
    return fresh


def remove_vectors(index, kind: str, keys: AbstractSet[int]) -> bool:
    """Delete `keys` from a flat or IVF-PQ index; False for HNSW, whose removals are filtered."""
    if kind == "hnsw":
        return False
    faiss = import_faiss()
    index.remove_ids(faiss.IDSelectorBatch(np.fromiter(keys, dtype=np.int64, count=len(keys))))
    return True


def search_vectors(
    index,
    kind: str,
    spec: VectorSpec,
    queries: np.ndarray,
    k: int,
    removed: AbstractSet[int],
    exact=None,
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, keys), each (Q, k), best first; a missing hit has key -1. `exact` (an IVF-PQ
    index's `ExactVectors`) re-ranks the compressed index's candidates by their exact cosine."""
    faiss = import_faiss()
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if kind == "flat":
        return index.search(queries, k)
    if kind == "ivfpq":
        depth = max(k, spec.rerank_depth) if exact is not None else k
        params = faiss.SearchParametersIVF(nprobe=spec.nprobe)  # pyright: ignore
        scores, keys = index.search(queries, depth, params=params)
        return (scores, keys) if exact is None else exact.rerank(queries, keys, k)
    params = faiss.SearchParametersHNSW(efSearch=max(spec.ef_search, k))  # pyright: ignore
    if removed:
        dropped = np.fromiter(removed, dtype=np.int64, count=len(removed))
        batch = faiss.IDSelectorBatch(dropped)
        selector = faiss.IDSelectorNot(batch)  # `batch` must outlive the search: kept local
        params.sel = selector
        return index.search(queries, k, params=params)
    return index.search(queries, k, params=params)


def save_index(index, path) -> None:
    import_faiss().write_index(index, str(path))


def load_index(path):
    faiss = import_faiss()
    try:
        return faiss.read_index(str(path))
    except RuntimeError as error:
        raise BertkitError(f"{path}: not a readable FAISS index ({_first_line(error)})") from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
