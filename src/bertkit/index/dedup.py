"""Near-duplicates and paraphrases in a corpus: every similar pair, grouped into clusters.

Texts are embedded by the embed pipeline and made unit length, so that inner product is cosine.
Pairs are asked for in one of two ways:

- `threshold=T`: every pair (i, j), i < j, with cosine >= T;
- `top_k=K`: each text's K most similar other texts, as pairs (sentence-transformers'
  `util.paraphrase_mining` with `top_k=K` gives the same pairs).

Up to `brute_max` texts the search is exact, the (N, N) similarity computed in blocks of rows so
that memory stays at `block` x N; past it, each text queries a FAISS index of all of them
(`bertkit.index.vectors`: exact flat inner product up to the index's `flat_max` vectors, HNSW
above), for a threshold with k doubled until every text's k-th neighbour is below T. Either way
the answer is the same pair list, best first.

Clusters are the connected components of the graph whose edges are the pairs (union-find), so a
chain a~b, b~c groups a, b and c even when a and c are not similar themselves: the usual notion
of a near-duplicate group. Each cluster lists its texts in corpus order; singletons are left out.
Clusters are formed for a threshold only: with top-k every text has neighbours, and the graph
would be one component.
"""

from dataclasses import dataclass, field

import numpy as np

from bertkit.errors import BertkitError
from bertkit.index.vectors import VectorSpec, add_vectors, new_index, search_vectors
from bertkit.pipelines.embed import EmbedPipeline, unit

BRUTE_MAX = 20_000  # texts searched by blocks of exact similarities; above, through FAISS
BLOCK = 1024  # rows of the similarity matrix held at once
METHODS = ("auto", "brute", "index")


@dataclass
class Pair:
    """Texts `first` < `second` (corpus positions) and their cosine similarity."""

    score: float
    first: int
    second: int


@dataclass
class Duplicates:
    """The pairs, best first, and the clusters they form (lists of corpus positions)."""

    pairs: list[Pair] = field(default_factory=list)
    clusters: list[list[int]] = field(default_factory=list)


def check_query(threshold: float | None, top_k: int | None) -> None:
    if (threshold is None) == (top_k is None):
        raise BertkitError("give a cosine threshold or a top-k, one of the two")
    if threshold is not None and not -1 <= threshold <= 1:
        raise BertkitError(f"threshold is a cosine, in [-1, 1]; got {threshold}")
    if top_k is not None and top_k < 1:
        raise BertkitError(f"top-k must be at least 1, got {top_k}")


def similar_pairs(
    vectors: np.ndarray,
    threshold: float | None = None,
    top_k: int | None = None,
    method: str = "auto",
    spec: VectorSpec | None = None,
) -> list[Pair]:
    """Every pair of rows of `vectors` (N, C) above `threshold`, or each row's `top_k` nearest
    others; best first (ties by position). `method`: "brute", "index" (FAISS) or "auto"."""
    check_query(threshold, top_k)
    if method not in METHODS:
        raise BertkitError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    vectors = np.ascontiguousarray(unit(vectors.astype(np.float32)))
    count = len(vectors)
    if count < 2:
        return []
    if method == "auto":
        method = "brute" if count <= BRUTE_MAX else "index"
    search = _brute_neighbours if method == "brute" else _index_neighbours
    found: dict[tuple[int, int], float] = {}
    for i, (scores, keys) in enumerate(search(vectors, threshold, top_k, spec or VectorSpec())):
        neighbours = [(int(j), float(s)) for j, s in zip(keys, scores, strict=True) if j != i]
        if top_k is not None:
            neighbours = neighbours[:top_k]
        for j, score in neighbours:
            if j < 0 or (threshold is not None and score < threshold):
                continue
            found.setdefault((min(i, j), max(i, j)), score)
    pairs = [Pair(score, a, b) for (a, b), score in found.items()]
    pairs.sort(key=lambda p: (-p.score, p.first, p.second))
    return pairs


def _brute_neighbours(vectors, threshold, top_k, spec):
    """Per row: (scores, positions) of its candidates, best first, from exact blocks."""
    del spec
    count = len(vectors)
    for start in range(0, count, BLOCK):
        block = vectors[start : start + BLOCK] @ vectors.T  # (b, N)
        for row in block:
            if top_k is not None:
                k = min(top_k + 1, count)
                keys = np.argpartition(-row, k - 1)[:k]
            else:
                keys = np.flatnonzero(row >= threshold)
            keys = keys[np.lexsort((keys, -row[keys]))]  # best first, ties by position
            yield row[keys], keys


def _index_neighbours(vectors, threshold, top_k, spec: VectorSpec):
    """Per row: (scores, keys) of its nearest neighbours in a FAISS index of every row."""
    count = len(vectors)
    index = new_index(spec.kind_for(count), vectors.shape[1], spec)
    add_vectors(index, vectors, np.arange(count))
    kind = spec.kind_for(count)
    if top_k is not None:
        scores, keys = search_vectors(index, kind, spec, vectors, min(top_k + 1, count), set())
        yield from zip(scores, keys, strict=True)
        return
    for start in range(0, count, BLOCK):
        queries = vectors[start : start + BLOCK]
        k = min(16, count)
        while True:  # widen until each query's k-th neighbour falls below the threshold
            scores, keys = search_vectors(index, kind, spec, queries, k, set())
            if k == count or not (scores[:, -1] >= threshold).any():
                break
            k = min(2 * k, count)
        yield from zip(scores, keys, strict=True)


def connected_clusters(pairs: list[Pair], count: int) -> list[list[int]]:
    """The connected components (two or more texts) of the pair graph over `count` texts,
    largest first, each in corpus order."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving
            i = parent[i]
        return i

    for pair in pairs:
        a, b = root(pair.first), root(pair.second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(count):
        groups.setdefault(root(i), []).append(i)
    clusters = [members for members in groups.values() if len(members) > 1]
    clusters.sort(key=lambda members: (-len(members), members[0]))
    return clusters


def find_duplicates(
    embed: EmbedPipeline,
    texts: list[str],
    threshold: float | None = None,
    top_k: int | None = None,
    method: str = "auto",
) -> Duplicates:
    """The similar pairs of `texts` under `embed`'s vectors, and their clusters."""
    check_query(threshold, top_k)
    if len(texts) < 2:
        raise BertkitError(f"need at least two texts to compare, got {len(texts)}")
    pairs = similar_pairs(embed(list(texts)), threshold, top_k, method)
    if threshold is None:  # each text's top-k links nearly every text to some other
        return Duplicates(pairs, [])
    return Duplicates(pairs, connected_clusters(pairs, len(texts)))
