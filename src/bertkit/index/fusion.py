"""Reciprocal-rank fusion (Cormack, Clarke & Buettcher, SIGIR 2009): one ranking from several.

Each list gives a passage 1 / (k + rank), ranks from 1, summed over the lists; k = 60 as in the
paper damps the weight of the very first ranks. Scores of different systems (cosine, BM25) are
never compared, only ranks, so no normalisation is needed.
"""

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], k: int = RRF_K
) -> list[tuple[int, float]]:
    """(key, fused score) best first; ties keep the order of first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])
