"""From cross-encoder scores to rankings: candidates ordered by score, best first.

Pure functions on plain lists, shared by evaluation and the index's reranking evaluation.
"""

from collections.abc import Sequence


def rank_by_score(ids: Sequence[str], scores: Sequence[float]) -> list[str]:
    """`ids` ordered by descending score; equal scores keep their given (first-stage) order."""
    if len(ids) != len(scores):
        raise ValueError(f"{len(ids)} ids but {len(scores)} scores")
    order = sorted(range(len(ids)), key=lambda i: -scores[i])  # sorted is stable
    return [ids[i] for i in order]
