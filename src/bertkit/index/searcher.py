"""Querying an index: dense (FAISS), BM25, or both fused by reciprocal rank; optional rerank.

Queries are embedded by the model the index records (or one given, if its fingerprint matches).
The rerank step scores (query, passage) pairs of the first-stage top candidates with a
cross-encoder: a sequence-classification directory with one output, run by the classify pipeline.
Scores: cosine for dense, BM25 for bm25, the fused 1/(60 + rank) sum for hybrid, the
cross-encoder's output after a rerank.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.index.build import check_fingerprint, open_embedder
from bertkit.index.exact import ExactVectors
from bertkit.index.fusion import reciprocal_rank_fusion
from bertkit.index.lexical import Bm25
from bertkit.index.store import read_manifest, read_passages, read_removed
from bertkit.index.vectors import VectorSpec, load_index, search_vectors
from bertkit.pipelines.classify import Label
from bertkit.pipelines.embed import unit
from bertkit.pipelines.fingerprint import directory_fingerprint

MODES = ("dense", "bm25", "hybrid")


@dataclass
class SearchHit:
    id: str
    score: float
    text: str
    metadata: dict


class IndexSearcher:
    """`IndexSearcher("my_index")(["a query", ...], k=10)` -> the k best passages per query.

    Args:
        directory: an index directory written by `build_index`.
        model_dir: the embedding model; None is the one recorded in the index. Another model
            (a different fingerprint) is refused.
        rerank_model: a cross-encoder directory (one-output sequence classification), or None.
        options: `EmbedPipeline` options for the query side (device, dtype, batch_size).
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        model_dir: str | Path | None = None,
        rerank_model: str | Path | None = None,
        **options,
    ):
        self.directory = Path(directory)
        self.manifest = read_manifest(self.directory)
        self.passages = read_passages(self.directory, self.manifest)
        self.index = load_index(self.directory / self.manifest.vectors["file"])
        self.kind = self.manifest.vectors["kind"]
        self.spec = VectorSpec(**self.manifest.vectors["spec"])
        exact = self.manifest.vectors.get("exact")
        self.exact = ExactVectors(self.directory, exact) if exact else None  # IVF-PQ's re-rank
        stale = self.manifest.vectors.get("stale", 0)
        self.removed = read_removed(self.directory, self.manifest) if stale else set()
        self.bm25 = Bm25.load(self.directory / self.manifest.bm25) if self.manifest.bm25 else None
        self.model_dir = model_dir
        self.options = options
        self._embed = None
        self.reranker = None
        if rerank_model is not None:
            from bertkit.pipelines.classify import ClassifyPipeline

            self.reranker = ClassifyPipeline(rerank_model, **options)
            if self.reranker.model.config.num_labels != 1:
                raise BertkitError(
                    f"{rerank_model}: a cross-encoder has one output, this model has "
                    f"{self.reranker.model.config.num_labels}"
                )

    @property
    def embed(self):
        """The query embedder, loaded (and checked against the index) on first use."""
        if self._embed is None:
            model_dir = self.model_dir or self.manifest.model["path"]
            self._embed = open_embedder(model_dir, self.manifest, **self.options)
        return self._embed

    def __len__(self) -> int:
        return len(self.passages)

    def __call__(
        self,
        queries: str | list[str],
        k: int = 10,
        *,
        mode: str = "dense",
        depth: int | None = None,
        rerank_depth: int | None = None,
    ) -> list[SearchHit] | list[list[SearchHit]]:
        """The k best passages per query, best first (a list per query for a list of queries).

        Args:
            mode: "dense", "bm25" or "hybrid" (both, fused by reciprocal rank).
            depth: candidates taken from each ranking before fusion (default max(k, 100)).
            rerank_depth: first-stage candidates the cross-encoder reorders (default k).
        """
        batch = [queries] if isinstance(queries, str) else list(queries)
        results = self.search_many(batch, k, mode=mode, depth=depth, rerank_depth=rerank_depth)
        return results[0] if isinstance(queries, str) else results

    def search_many(
        self,
        queries: list[str],
        k: int = 10,
        *,
        mode: str = "dense",
        depth: int | None = None,
        rerank_depth: int | None = None,
    ) -> list[list[SearchHit]]:
        """`__call__` for a list of queries: one list of hits per query."""
        if k <= 0:
            raise BertkitError(f"k must be positive, got {k}")
        if mode not in MODES:
            raise BertkitError(f"search mode must be one of {', '.join(MODES)}, not {mode!r}")
        bm25 = self.bm25
        if mode != "dense" and bm25 is None:
            raise BertkitError(f"{self.directory}: built without BM25 (index build --bm25)")
        first = max(k, rerank_depth or k) if self.reranker else k
        depth = max(first, depth or 100)
        rankings = []
        if mode != "bm25":
            vectors = unit(self.embed(queries)).astype(np.float32)
            rankings.append(self.search_vectors(vectors, depth if mode == "hybrid" else first))
        if bm25 is not None and mode != "dense":
            rankings.append(bm25.search(queries, depth))
        results = []
        for query, per_system in zip(queries, zip(*rankings, strict=True), strict=True):
            if mode == "hybrid":
                fused = reciprocal_rank_fusion([keys.tolist() for keys, _ in per_system])[:first]
            else:
                keys, scores = per_system[0]
                fused = list(zip(keys.tolist()[:first], scores.tolist()[:first], strict=True))
            hits = self.rerank(query, [self._hit(key, score) for key, score in fused])
            results.append(hits[:k])
        return results

    def search_vectors(
        self, vectors: np.ndarray, k: int, fingerprint: str | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query vector, (keys, cosine scores) of the k nearest passages, best first.

        `fingerprint` (of the model that embedded the vectors) is checked when given.
        """
        if fingerprint is not None:
            check_fingerprint(self.manifest, fingerprint, "query vectors")
        vectors = np.atleast_2d(vectors)
        if vectors.shape[1] != self.index.d:
            raise BertkitError(f"query vectors have {vectors.shape[1]} dims, index {self.index.d}")
        k = min(k, len(self.passages))
        if k == 0:
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in vectors]
        scores, keys = search_vectors(
            self.index, self.kind, self.spec, vectors, k, self.removed, self.exact
        )
        return [(row[row >= 0], score[row >= 0]) for row, score in zip(keys, scores, strict=True)]

    def rerank(self, query: str, hits: list[SearchHit]) -> list[SearchHit]:
        """`hits` reordered by the cross-encoder's score of (query, passage); as they are
        without a cross-encoder."""
        if self.reranker is None or not hits:
            return hits
        labels = self.reranker([query] * len(hits), [hit.text for hit in hits])
        labels = labels if isinstance(labels, list) else [labels]
        scores = [label.score for label in labels if isinstance(label, Label)]  # one per pair
        for hit, score in zip(hits, scores, strict=True):
            hit.score = float(score)
        return sorted(hits, key=lambda hit: -hit.score)

    def _hit(self, key: int, score: float) -> SearchHit:
        passage = self.passages[key]
        return SearchHit(passage.id, float(score), passage.text, passage.metadata)


def pick_query_model(directory: str | Path, served: dict[str, Path]) -> tuple[str, Path]:
    """(name, directory) of the model that embeds a served index's queries: a served model that
    is the index's model (same fingerprint), else the model directory the index recorded, named
    "recorded"; a one-line BertkitError when it is neither (a moved index on another machine)."""
    manifest = read_manifest(Path(directory))
    expected = manifest.model["fingerprint"]
    for name, path in served.items():
        if Path(path).is_dir() and directory_fingerprint(path, manifest.model) == expected:
            return name, Path(path)
    recorded = Path(manifest.model["path"])
    if recorded.is_dir() and directory_fingerprint(recorded, manifest.model) == expected:
        return "recorded", recorded
    state = "has changed since" if recorded.is_dir() else "is not on this machine"
    raise BertkitError(
        f"{directory}: its queries need the model it was built with, {recorded} (fingerprint "
        f"{expected[:12]}), which {state}, and no served --model is that model "
        f"({', '.join(served) or 'none'}); serve it as well: --model NAME=DIR"
    )
