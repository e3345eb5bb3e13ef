"""Reranking metrics: retrieval metrics of the reranked candidate lists.

The values are those of `tasks/embed/metrics.retrieval_metrics` (the definitions of
sentence-transformers' evaluators, binary relevance) on the rankings the cross-encoder produced:
recall@1, recall@3, recall@5, recall@10, mrr@10, ndcg@10 and map@100, each a mean over queries.
"""

from collections.abc import Collection, Sequence

from bertkit.tasks.embed.metrics import retrieval_metrics

KS = (1, 3, 5, 10)


def reranking_metrics(
    ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]]
) -> dict[str, float]:
    """Metrics of rankings `ranked[i]` (ids, best first) against the relevant ids of query i."""
    return retrieval_metrics(ranked, relevant, ks=KS)
