"""Evaluating a cross-encoder where it works: reranking an index's first-stage top-k.

Each query of a file is searched (dense, BM25 or hybrid, see searcher.py), its `depth` best
passages are rescored by the cross-encoder (the one `IndexSearcher(rerank_model=...)` and
`bertkit search --rerank-model` use), and the retrieval metrics of tasks/embed/metrics.py are
computed on both rankings, so the gain of the reranker is read on the same candidates. Ties in
the cross-encoder's score keep the first stage's order.
Queries file (TSV/CSV/JSONL): a query column (query, anchor or question) and either `relevant`,
a passage id (repeat the query on another row for more), or `positive`, a passage's text.
"""

import random
import time
from dataclasses import replace
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.index.searcher import IndexSearcher
from bertkit.progress import progress_bar
from bertkit.tasks.classify.data import read_rows
from bertkit.tasks.rerank.metrics import reranking_metrics

QUERY_COLUMNS = ("query", "anchor", "question")


def read_queries(path: str | Path, searcher: IndexSearcher) -> dict[str, set[str]]:
    """Query -> the ids of its relevant passages, in file order; bad rows raise BertkitError."""
    path = Path(path)
    header, rows = read_rows(path)
    query = next((name for name in QUERY_COLUMNS if name in header), None)
    target = next((name for name in ("relevant", "positive") if name in header), None)
    if query is None or target is None:
        raise BertkitError(
            f"{path}:1: need a query column ({', '.join(QUERY_COLUMNS)}) and a relevant (passage "
            f"id) or positive (passage text) column, got {header}"
        )
    ids = {p.id for p in searcher.passages.values()}
    id_of_text = {p.text.strip(): p.id for p in searcher.passages.values()}
    relevant: dict[str, set[str]] = {}
    for line, row in rows:
        text, value = (row.get(query) or "").strip(), (row.get(target) or "").strip()
        if not text or not value:
            raise BertkitError(f"{path}:{line}: empty or missing {query!r} or {target!r}")
        passage_id = value if target == "relevant" else id_of_text.get(value)
        if passage_id is None or passage_id not in ids:
            what = f"id {value!r}" if target == "relevant" else "positive text"
            raise BertkitError(f"{path}:{line}: {what} is not a passage of the index")
        relevant.setdefault(text, set()).add(passage_id)
    if not relevant:
        raise BertkitError(f"{path}: no query")
    return relevant


def evaluate_reranking(
    index: str | Path,
    queries: str | Path,
    rerank_model: str | Path,
    *,
    mode: str = "hybrid",
    depth: int = 20,
    sample: int = 0,
    seed: int = 0,
    model_dir: str | Path | None = None,
    **options,
) -> dict:
    """Metrics of the first stage's top `depth` and of the same candidates reranked.

    Args:
        sample: score a random sample of this many queries (0 = all), drawn with `seed`.
        options: pipeline options (device, batch_size, ...) of the embedder and the reranker.
    Returns:
        {"first_stage": metrics, "reranked": metrics, "queries", "mode", "depth",
        "first_stage_ms_per_query", "rerank_ms_per_query"}.
    """
    if depth <= 0:
        raise BertkitError(f"depth must be positive, got {depth}")
    searcher = IndexSearcher(index, model_dir=model_dir, rerank_model=rerank_model, **options)
    relevant = read_queries(queries, searcher)
    texts = list(relevant)
    if sample and sample < len(texts):
        texts = sorted(random.Random(seed).sample(texts, sample), key=texts.index)
    # The first stage alone, then the searcher's own rerank step on its hits, timed apart.
    reranker, searcher.reranker = searcher.reranker, None
    started = time.perf_counter()
    first = searcher.search_many(texts, depth, mode=mode)
    first_seconds = time.perf_counter() - started
    searcher.reranker = reranker
    reranked, rerank_seconds = [], 0.0
    pairs = list(zip(texts, first, strict=True))
    for query, hits in progress_bar(pairs, desc="rerank", unit="query"):
        started = time.perf_counter()
        best = searcher.rerank(query, [replace(hit) for hit in hits])
        rerank_seconds += time.perf_counter() - started
        reranked.append([hit.id for hit in best])
    gold = [relevant[q] for q in texts]
    return {
        "first_stage": reranking_metrics([[h.id for h in hits] for hits in first], gold),
        "reranked": reranking_metrics(reranked, gold),
        "queries": len(texts),
        "mode": mode,
        "depth": depth,
        "first_stage_ms_per_query": 1000 * first_seconds / len(texts),
        "rerank_ms_per_query": 1000 * rerank_seconds / len(texts),
    }
