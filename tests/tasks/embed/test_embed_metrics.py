"""Embedding metrics against sentence-transformers' evaluators and scipy on the same rankings."""

import random

import pytest
from scipy.stats import pearsonr, spearmanr

from bertkit.errors import BertkitError
from bertkit.tasks.embed.metrics import retrieval_metrics, sts_metrics


def _random_rankings(seed: int, num_queries: int = 30, corpus_size: int = 150):
    rng = random.Random(seed)
    ids = [f"d{i}" for i in range(corpus_size)]
    ranked, relevant = [], []
    for _ in range(num_queries):
        order = ids[:]
        rng.shuffle(order)
        ranked.append(order[: rng.choice([5, 20, 120])])
        # Relevant ids near the top often, sometimes deep or not retrieved at all.
        gold = set(rng.sample(order[:12], rng.randint(1, 3)))
        if rng.random() < 0.3:
            gold.add(order[-1])
        relevant.append(gold)
    return ranked, relevant


def _sentence_transformers_metrics(ranked, relevant):
    """InformationRetrievalEvaluator.compute_metrics on the same rankings (scores decreasing)."""
    from sentence_transformers.sentence_transformer.evaluation import (
        InformationRetrievalEvaluator,
    )

    corpus = {cid: cid for ids in ranked for cid in ids} | {c: c for g in relevant for c in g}
    queries = {f"q{i}": f"q{i}" for i in range(len(ranked))}
    evaluator = InformationRetrievalEvaluator(
        queries,
        corpus,
        {f"q{i}": set(g) for i, g in enumerate(relevant)},
        precision_recall_at_k=[1, 3, 5, 10, 100],
        accuracy_at_k=[1],
        write_csv=False,
    )
    results = [
        [{"corpus_id": cid, "score": float(len(ids) - rank)} for rank, cid in enumerate(ids)]
        for ids in ranked
    ]
    return evaluator.compute_metrics(results)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_retrieval_metrics_equal_sentence_transformers(seed):
    ranked, relevant = _random_rankings(seed)
    ours = retrieval_metrics(ranked, relevant)
    theirs = _sentence_transformers_metrics(ranked, relevant)
    for k in (1, 3, 5, 10, 100):
        assert ours[f"recall@{k}"] == pytest.approx(theirs["recall@k"][k], abs=1e-12)
    assert ours["mrr@10"] == pytest.approx(theirs["mrr@k"][10], abs=1e-12)
    assert ours["ndcg@10"] == pytest.approx(theirs["ndcg@k"][10], abs=1e-12)
    assert ours["map@100"] == pytest.approx(theirs["map@k"][100], abs=1e-12)


def test_retrieval_metrics_by_hand():
    # Query 1: its one relevant id at rank 2. Query 2: relevant {x, z}, x at rank 1, z missing.
    ours = retrieval_metrics([["a", "b", "c"], ["x", "y"]], [{"b"}, {"x", "z"}], ks=(1, 3))
    assert ours["recall@1"] == pytest.approx((0 + 0.5) / 2)
    assert ours["recall@3"] == pytest.approx((1 + 0.5) / 2)
    assert ours["mrr@10"] == pytest.approx((1 / 2 + 1) / 2)
    ideal_two = 1 + 1 / 1.584962500721156  # 1/log2(2) + 1/log2(3)
    assert ours["ndcg@10"] == pytest.approx((1 / 1.584962500721156 + 1 / ideal_two) / 2)
    assert ours["map@100"] == pytest.approx((1 / 2 + 1 / 2) / 2)


def test_sts_metrics_equal_scipy():
    rng = random.Random(3)
    gold = [rng.choice([0.0, 1.0, 2.5, 4.0, 5.0]) for _ in range(200)]  # ties, as STS-B has
    predicted = [g / 5 + rng.gauss(0, 0.3) for g in gold]
    ours = sts_metrics(predicted, gold)
    assert ours["spearman"] == pytest.approx(spearmanr(predicted, gold)[0], abs=1e-12)
    assert ours["pearson"] == pytest.approx(pearsonr(predicted, gold)[0], abs=1e-12)


def test_bad_metric_input_is_one_line():
    with pytest.raises(BertkitError, match="2 rankings for 1"):
        retrieval_metrics([["a"], ["b"]], [{"a"}])
    with pytest.raises(BertkitError, match="query 0: no relevant ids"):
        retrieval_metrics([["a"]], [set()])
    with pytest.raises(BertkitError, match="2 predicted similarities for 3"):
        sts_metrics([1.0, 2.0], [1.0, 2.0, 3.0])
