"""/summarize and /score over HTTP equal the summarize and score pipelines on real text."""

import httpx
import numpy as np
import pytest

from bertkit.pipelines import BertScorePipeline, SummarizePipeline
from tests.conftest import need_file
from tests.pipelines.test_summarize import wikitext_articles


def post(server, route: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + route, json=body, timeout=120)


def test_summarize_equals_the_pipeline(server, minilm_dir, data_dir):
    articles = wikitext_articles(data_dir, 2)
    response = post(server, "/summarize", {"inputs": articles, "model": "minilm", "ratio": 0.1})
    assert response.status_code == 200, response.text
    expected = SummarizePipeline(minilm_dir, ratio=0.1)(articles)
    for got, want, article in zip(response.json(), expected, articles, strict=True):
        assert [(s["start"], s["end"], s["index"]) for s in got] == [
            (s.start, s.end, s.index) for s in want
        ]
        assert all(article[s["start"] : s["end"]] == s["text"] for s in got)
        np.testing.assert_allclose([s["score"] for s in got], [s.score for s in want], atol=1e-5)


def test_score_equals_the_pipeline(server, minilm_dir, data_dir):
    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:21]
    candidates = [row.split("\t")[3] for row in rows]
    references = [row.split("\t")[4] for row in rows]
    body = {"candidates": candidates, "references": references, "idf": True, "layer": 4}
    response = post(server, "/score", body | {"model": "minilm"})
    assert response.status_code == 200, response.text
    expected = BertScorePipeline(minilm_dir, layer=4, idf=True)(candidates, references)
    got = response.json()
    np.testing.assert_allclose(
        [[s["precision"], s["recall"], s["f1"]] for s in got["scores"]],
        [[s.precision, s.recall, s.f1] for s in expected],
        atol=1e-5,
    )
    assert got["corpus"]["f1"] == pytest.approx(np.mean([s.f1 for s in expected]), abs=1e-5)


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        ("/summarize", {"inputs": "Only one sentence here."}, "one sentence"),
        ("/summarize", {"inputs": "One. Two. Three.", "ratio": 3}, "'ratio'"),
        ("/score", {"candidates": ["a", "b"], "references": ["a"]}, "2 candidates but 1"),
        ("/score", {"candidates": ["a"], "references": ["a"], "layer": 9}, "layer must be in"),
        ("/predict", {"inputs": "a", "model": "minilm"}, "cannot serve classify"),
    ],
)
def test_bad_requests_are_422_with_one_line(server, route, body, message):
    response = post(server, route, {"model": "minilm"} | body)
    assert response.status_code == 422
    assert message in response.json()["error"] and "\n" not in response.json()["error"]


def test_dedup_is_mounted_beside_the_model_routes(server, minilm_dir, data_dir):
    from bertkit.index.dedup import find_duplicates
    from bertkit.pipelines import EmbedPipeline

    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:21]
    texts = list(dict.fromkeys(row.split("\t")[i] for row in rows for i in (3, 4)))
    response = post(server, "/dedup", {"inputs": texts, "threshold": 0.85, "model": "minilm"})
    assert response.status_code == 200, response.text
    expected = find_duplicates(EmbedPipeline(minilm_dir), texts, threshold=0.85)
    assert response.json()["clusters"] == expected.clusters
    assert [(p["first"], p["second"]) for p in response.json()["pairs"]] == [
        (p.first, p.second) for p in expected.pairs
    ]
    refused = post(server, "/dedup", {"inputs": texts, "model": "ner"})  # not an encoder
    assert refused.status_code == 422 and "unknown model" in refused.json()["error"]
