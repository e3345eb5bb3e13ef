"""Embedding metrics: similarity correlation (STS) and retrieval quality over rankings.

STS: Spearman and Pearson correlation between predicted similarities (cosine) and gold scores,
as sentence-transformers' EmbeddingSimilarityEvaluator reports them.

Retrieval, with binary relevance and the definitions of sentence-transformers'
InformationRetrievalEvaluator, each a mean over queries:
- recall@K = |relevant ∩ top K| / |relevant|
- mrr@10 = 1 / rank of the first relevant id within the top 10 (0 when there is none)
- ndcg@10 = DCG@10 / IDCG@10, DCG@k = sum over ranks r <= k of rel_r / log2(r + 1) (r 1-based),
  IDCG@k the DCG of min(|relevant|, k) relevant ids at the top
- map@100 = (sum over relevant ids at rank r <= 100 of precision@r) / min(100, |relevant|)
Pure Python on lists of ids; the ranking is whatever the caller produced (dense, BM25, reranked).
"""

import math
from collections.abc import Collection, Sequence

from bertkit.errors import BertkitError
from bertkit.tasks.classify.metrics import pearson, spearman


def sts_metrics(predicted: Sequence[float], gold: Sequence[float]) -> dict[str, float]:
    """{"spearman", "pearson"} of predicted similarities against gold scores."""
    if len(predicted) != len(gold):
        raise BertkitError(f"{len(predicted)} predicted similarities for {len(gold)} gold scores")
    if not gold:
        raise BertkitError("no pairs to score")
    x, y = [float(v) for v in predicted], [float(v) for v in gold]
    return {"spearman": spearman(x, y), "pearson": pearson(x, y)}


def retrieval_metrics(
    ranked: Sequence[Sequence[str]],
    relevant: Sequence[Collection[str]],
    ks: Sequence[int] = (1, 3, 5, 10, 100),
) -> dict[str, float]:
    """Means over queries of recall@K for each K, mrr@10, ndcg@10 and map@100 (module docstring).

    `ranked[i]` holds the corpus ids retrieved for query i, best first; `relevant[i]` its relevant
    ids (at least one). A query without a relevant id is an error: each metric divides by it.
    """
    if len(ranked) != len(relevant):
        raise BertkitError(f"{len(ranked)} rankings for {len(relevant)} sets of relevant ids")
    if not ranked:
        raise BertkitError("no queries to score")
    totals = {f"recall@{k}": 0.0 for k in ks} | {"mrr@10": 0.0, "ndcg@10": 0.0, "map@100": 0.0}
    for i, (ids, gold) in enumerate(zip(ranked, relevant, strict=True)):
        gold = set(gold)
        if not gold:
            raise BertkitError(f"query {i}: no relevant ids")
        hits = [corpus_id in gold for corpus_id in ids]
        for k in ks:
            totals[f"recall@{k}"] += sum(hits[:k]) / len(gold)
        totals["mrr@10"] += reciprocal_rank(hits, 10)
        totals["ndcg@10"] += ndcg(hits, len(gold), 10)
        totals["map@100"] += average_precision(hits, len(gold), 100)
    return {name: total / len(ranked) for name, total in totals.items()}


def reciprocal_rank(hits: Sequence[bool], k: int) -> float:
    """1 / (1-based rank of the first hit within the top k), 0.0 without one."""
    for rank, hit in enumerate(hits[:k], start=1):
        if hit:
            return 1.0 / rank
    return 0.0


def ndcg(hits: Sequence[bool], num_relevant: int, k: int) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts min(num_relevant, k) hits first."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(hits[:k], start=1) if hit)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(num_relevant, k) + 1))
    return dcg / ideal


def average_precision(hits: Sequence[bool], num_relevant: int, k: int) -> float:
    """Sum of precision@r over the hits at ranks r <= k, over min(k, num_relevant)."""
    found, total = 0, 0.0
    for rank, hit in enumerate(hits[:k], start=1):
        if hit:
            found += 1
            total += found / rank
    return total / min(k, num_relevant)
