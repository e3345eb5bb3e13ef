"""Reranking an index's first stage: the metrics equal a plain formula on the rankings that
`IndexSearcher` (and so `bertkit search --rerank-model`) returns, and sentence-transformers'
CrossEncoderRerankingEvaluator on the same candidates; on real SQuAD paragraphs."""

import json
import math

import pytest

from bertkit.cli.main import main
from bertkit.errors import BertkitError
from bertkit.index import IndexSearcher, build_index
from bertkit.index.reranking import evaluate_reranking
from tests.index.conftest import write_jsonl

DEPTH = 10


@pytest.fixture
def setup(tiny_embedder, squad_paragraphs, tmp_path):
    rows = squad_paragraphs[:40]
    index = tmp_path / "index"
    build_index(tiny_embedder, [write_jsonl(tmp_path / "c.jsonl", rows)], index, use_bm25=True)
    queries = tmp_path / "queries.tsv"
    lines = ["question\trelevant"] + [f"{r['question']}\t{r['id']}" for r in rows[:15]]
    queries.write_text("\n".join(lines) + "\n")
    return rows[:15], index, queries


def plain_metrics(ranked: list[list[str]], gold: list[str]) -> dict:
    """One relevant id per query: R@1, MRR@10, nDCG@10 (= 1 / log2(1 + rank) within 10)."""
    ranks = [ids.index(g) + 1 if g in ids else None for ids, g in zip(ranked, gold, strict=True)]
    n = len(ranks)
    return {
        "recall@1": sum(r == 1 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r and r <= 10) / n,
        "ndcg@10": sum(1 / math.log2(1 + r) for r in ranks if r and r <= 10) / n,
    }


def test_metrics_equal_a_plain_formula_on_the_searchers_rankings(setup, classify_regression_dir):
    rows, index, queries = setup
    result = evaluate_reranking(index, queries, classify_regression_dir, mode="hybrid", depth=DEPTH)
    questions, gold = [r["question"] for r in rows], [r["id"] for r in rows]
    first = IndexSearcher(index).search_many(questions, DEPTH, mode="hybrid")
    reranked = IndexSearcher(index, rerank_model=classify_regression_dir).search_many(
        questions, DEPTH, mode="hybrid"
    )  # what `bertkit search --rerank-model` prints
    first_ids = [[h.id for h in hits] for hits in first]
    reranked_ids = [[h.id for h in hits] for hits in reranked]
    assert reranked_ids != first_ids  # the cross-encoder reorders
    assert all(set(a) == set(b) for a, b in zip(first_ids, reranked_ids, strict=True))
    for name, ids in (("first_stage", first_ids), ("reranked", reranked_ids)):
        for metric, value in plain_metrics(ids, gold).items():
            assert result[name][metric] == pytest.approx(value, abs=1e-12), (name, metric)
    assert result["queries"] == 15 and result["rerank_ms_per_query"] > 0


@pytest.mark.hf
def test_metrics_equal_sentence_transformers_reranking_evaluator(setup, classify_regression_dir):
    from sentence_transformers import CrossEncoder
    from sentence_transformers.cross_encoder.evaluation import CrossEncoderRerankingEvaluator

    rows, index, queries = setup
    result = evaluate_reranking(index, queries, classify_regression_dir, mode="dense", depth=DEPTH)
    searcher = IndexSearcher(index)
    first = searcher.search_many([r["question"] for r in rows], DEPTH, mode="dense")
    samples = [
        {"query": r["question"], "positive": [r["text"]], "documents": [h.text for h in hits]}
        for r, hits in zip(rows, first, strict=True)
    ]
    evaluator = CrossEncoderRerankingEvaluator(
        samples, at_k=10, always_rerank_positives=False, show_progress_bar=False
    )
    cross_encoder = CrossEncoder(str(classify_regression_dir), device="cpu", max_length=64)
    theirs = evaluator(cross_encoder)
    assert result["first_stage"]["mrr@10"] == pytest.approx(theirs["base_mrr@10"], abs=1e-9)
    assert result["first_stage"]["ndcg@10"] == pytest.approx(theirs["base_ndcg@10"], abs=1e-9)
    assert result["reranked"]["mrr@10"] == pytest.approx(theirs["mrr@10"], abs=1e-6)
    assert result["reranked"]["ndcg@10"] == pytest.approx(theirs["ndcg@10"], abs=1e-6)


def test_a_sample_of_queries_and_bad_rows(setup, classify_regression_dir, tmp_path):
    rows, index, queries = setup
    result = evaluate_reranking(index, queries, classify_regression_dir, depth=5, sample=4)
    assert result["queries"] == 4
    bad = tmp_path / "bad.tsv"
    bad.write_text("question\trelevant\nwho?\tnot-an-id\n")
    with pytest.raises(BertkitError, match=r"bad.tsv:2: id 'not-an-id' is not a passage"):
        evaluate_reranking(index, bad, classify_regression_dir)


def test_evaluate_rerank_command_with_an_index(setup, classify_regression_dir, tmp_path, capsys):
    rows, index, queries = setup
    out = tmp_path / "result.json"
    argv = ["evaluate", "rerank", "--model", str(classify_regression_dir), "--data", str(queries)]
    argv += ["--index", str(index), "--depth", "5", "--mode", "bm25", "--out", str(out)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert printed["mode"] == "bm25" and set(printed["reranked"]) >= {"mrr@10", "recall@1"}
