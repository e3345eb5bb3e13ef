"""`/next-sentence`, `/embed_all` and a multi-label `/predict` over HTTP against the pipelines'
own outputs."""

import json

import httpx
import numpy as np
import pytest

from bertkit import BertForPreTraining, BertForSequenceClassification
from bertkit.pipelines import ClassifyPipeline, EmbedPipeline, NextSentencePipeline
from bertkit.tokenizer import WordPieceTokenizer
from tests.pipelines.conftest import save_tiny_model
from tests.serve.server import Server

FIRST = "The storm reached the coast on Monday."
CANDIDATES = ["Thousands of homes lost power.", "The recipe calls for two eggs.", "Roads flooded."]


@pytest.fixture(scope="module")
def nsp_dir(tmp_path_factory, minilm_dir):
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    return save_tiny_model(tmp_path_factory.mktemp("nsp"), BertForPreTraining, tokenizer)


@pytest.fixture(scope="module")
def multilabel_dir(tmp_path_factory, minilm_dir):
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    labels = {0: "PER", 1: "ORG", 2: "LOC", 3: "MISC"}
    path = save_tiny_model(
        tmp_path_factory.mktemp("multilabel"),
        BertForSequenceClassification,
        tokenizer,
        id2label=labels,
        problem_type="multi_label_classification",
    )
    thresholds = {"PER": 0.3, "ORG": 0.5, "LOC": 0.6, "MISC": 0.9}
    (path / "thresholds.json").write_text(json.dumps({"thresholds": thresholds}))
    return path


@pytest.fixture(scope="module")
def running(tmp_path_factory, minilm_dir, nsp_dir, multilabel_dir):
    args = ["--model", f"minilm={minilm_dir}", "--model", f"nsp={nsp_dir}"]
    args += ["--model", f"multi={multilabel_dir}"]
    log = tmp_path_factory.mktemp("server") / "server.log"
    server = Server(args, log)
    yield server
    assert server.stop() == 0, log.read_text()


def post(server, route: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + route, json=body, timeout=60)


def test_next_sentence_pairs_and_ranking(running, nsp_dir):
    pipe = NextSentencePipeline(nsp_dir)
    expected = [r.score for r in pipe([FIRST] * 3, CANDIDATES)]
    one = post(running, "/next-sentence", {"model": "nsp", "inputs": [FIRST, CANDIDATES[0]]})
    assert one.status_code == 200, one.text
    assert one.json()["score"] == pytest.approx(expected[0], abs=1e-5)
    many = post(
        running, "/next-sentence", {"model": "nsp", "inputs": [[FIRST, c] for c in CANDIDATES]}
    )
    assert [r["score"] for r in many.json()] == pytest.approx(expected, abs=1e-5)
    assert [r["is_next"] for r in many.json()] == [s > 0.5 for s in expected]
    ranked = post(
        running, "/next-sentence", {"model": "nsp", "text": FIRST, "candidates": CANDIDATES}
    ).json()
    assert [r["index"] for r in ranked] == list(np.argsort(-np.asarray(expected), kind="stable"))
    assert ranked[0]["text"] == CANDIDATES[ranked[0]["index"]]
    top = post(
        running,
        "/next-sentence",
        {"model": "nsp", "text": FIRST, "candidates": CANDIDATES, "top_k": 1},
    ).json()
    assert top == ranked[:1]


def test_next_sentence_errors(running):
    bad = post(running, "/next-sentence", {"model": "nsp", "inputs": "just one text"})
    assert bad.status_code == 422 and "pair" in bad.json()["error"]
    encoder = post(running, "/next-sentence", {"model": "minilm", "inputs": ["a", "b"]})
    assert encoder.status_code == 422 and "cannot serve next-sentence" in encoder.json()["error"]


def test_embed_all_equals_the_token_vectors(running, minilm_dir):
    texts = ["Unbelievably, it works.", "Paris is the capital of France."]
    response = post(running, "/embed_all", {"model": "minilm", "inputs": texts})
    assert response.status_code == 200, response.text
    expected = EmbedPipeline(minilm_dir)(texts, tokens=True)
    got = response.json()
    assert len(got) == 2
    for vectors, result in zip(got, expected, strict=True):
        np.testing.assert_allclose(np.asarray(vectors), result.vectors, atol=1e-5, rtol=0)
    # /embed, served by the same batcher, is unchanged
    pooled = post(running, "/embed", {"model": "minilm", "inputs": texts, "normalize": False})
    np.testing.assert_allclose(
        np.asarray(pooled.json()),
        EmbedPipeline(minilm_dir, normalize=False)(texts),
        atol=1e-5,
        rtol=0,
    )
    empty = post(running, "/embed_all", {"model": "minilm", "inputs": []})
    assert empty.status_code == 422


def test_multi_label_predict_gives_every_label_above_its_threshold(running, multilabel_dir):
    texts = ["Mary visited Paris.", "Acme Corp hired John in London.", "the film was good"]
    response = post(running, "/predict", {"model": "multi", "inputs": texts})
    assert response.status_code == 200, response.text
    expected = ClassifyPipeline(multilabel_dir)(texts)
    everything = ClassifyPipeline(multilabel_dir)(texts, threshold=0.0)
    thresholds = {"PER": 0.3, "ORG": 0.5, "LOC": 0.6, "MISC": 0.9}
    for got, labels, every in zip(response.json(), expected, everything, strict=True):
        assert [x["label"] for x in got] == [x.label for x in labels]
        assert [x["score"] for x in got] == pytest.approx([x.score for x in labels], abs=1e-5)
        assert [x.label for x in labels] == [
            x.label for x in every if x.score >= thresholds[x.label]
        ]
    assert any(len(labels) not in (0, 4) for labels in expected)  # thresholds matter here
