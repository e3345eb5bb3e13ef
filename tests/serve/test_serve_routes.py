"""Every route over HTTP against the pipeline's own output for the same input."""

import base64

import httpx
import numpy as np
import pytest

from bertkit.pipelines import pipeline
from bertkit.tokenizer import WordPieceTokenizer

SENTENCES = [
    "The cat sat on the mat.",
    "A quick brown fox jumps over the lazy dog near the river bank.",
    "Paris is the capital of France.",
]


def post(server, route: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + route, json=body, timeout=60)


def cosines(a, b) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


@pytest.fixture(scope="module")
def minilm_vectors(minilm_dir):
    return pipeline("embed", minilm_dir, device="cpu")(SENTENCES)


def test_embed_equals_the_pipeline_and_is_normalised(server, minilm_vectors):
    response = post(server, "/embed", {"inputs": SENTENCES, "model": "minilm"})
    assert response.status_code == 200
    for header in ("x-total-time", "x-queue-time", "x-inference-time"):
        assert float(response.headers[header]) >= 0
    vectors = np.asarray(response.json())
    assert vectors.shape == minilm_vectors.shape
    assert cosines(vectors, minilm_vectors).min() >= 0.99999
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=-1), 1, atol=1e-5)
    raw = post(server, "/embed", {"inputs": SENTENCES[0], "normalize": False, "model": "minilm"})
    assert np.linalg.norm(raw.json()[0]) != pytest.approx(1.0, abs=1e-3) or np.allclose(
        raw.json()[0], minilm_vectors[0], atol=1e-4
    )


def test_openai_embeddings_float_and_base64_agree(server, minilm_vectors):
    body = {"input": SENTENCES, "model": "minilm"}
    floats = post(server, "/v1/embeddings", body).json()
    encoded = post(server, "/v1/embeddings", body | {"encoding_format": "base64"}).json()
    assert floats["object"] == "list" and floats["model"] == "minilm"
    assert [d["index"] for d in floats["data"]] == [0, 1, 2]
    assert floats["usage"]["prompt_tokens"] == floats["usage"]["total_tokens"] > 3 * 2
    vectors = np.asarray([d["embedding"] for d in floats["data"]])
    decoded = np.stack(
        [np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in encoded["data"]]
    )
    np.testing.assert_allclose(decoded, vectors, atol=1e-6)
    assert cosines(vectors, minilm_vectors).min() >= 0.99999


def test_predict_gives_every_label_as_the_pipeline(server, tiny_dirs):
    classify_dir = tiny_dirs["classify"]
    expected = pipeline("classify", classify_dir, device="cpu")(SENTENCES[0], top_k=3)
    got = post(server, "/predict", {"inputs": SENTENCES[0], "model": "classify"}).json()
    assert [x["label"] for x in got] == [x.label for x in expected]
    np.testing.assert_allclose([x["score"] for x in got], [x.score for x in expected], atol=1e-5)
    pair = pipeline("classify", classify_dir, device="cpu")(SENTENCES[0], SENTENCES[1], top_k=3)
    got = post(server, "/predict", {"inputs": SENTENCES[:2], "model": "classify"}).json()
    assert [x["label"] for x in got] == [x.label for x in pair]
    batch = post(server, "/predict", {"inputs": [SENTENCES[0], SENTENCES[:2]], "model": "classify"})
    assert [row[0]["label"] for row in batch.json()] == [expected[0].label, pair[0].label]


def test_rerank_with_a_cross_encoder_and_with_an_encoder(server, tiny_dirs, minilm_dir):
    cross_encoder_dir = tiny_dirs["cross"]
    query, texts = "Where is Paris?", SENTENCES
    scores = pipeline("classify", cross_encoder_dir, device="cpu")([query] * 3, texts)
    expected = 1 / (1 + np.exp(-np.asarray([s.score for s in scores])))
    got = post(server, "/rerank", {"query": query, "texts": texts, "model": "cross"}).json()
    assert [x["index"] for x in got] == list(np.argsort(-expected, kind="stable"))
    np.testing.assert_allclose([x["score"] for x in got], np.sort(expected)[::-1], atol=1e-5)
    cosine = pipeline("similarity", minilm_dir, device="cpu")([query] * 3, texts)
    got = post(server, "/rerank", {"query": query, "texts": texts, "model": "minilm"}).json()
    assert got[0]["index"] == 2 == int(np.argmax(cosine))
    np.testing.assert_allclose(sorted(x["score"] for x in got), sorted(cosine), atol=1e-5)


def test_ner_entities_match_the_pipeline(server, tiny_dirs):
    ner_dir = tiny_dirs["ner"]
    text = "Angela Merkel met Emmanuel Macron in Paris and Berlin last week."
    expected = pipeline("ner", ner_dir, device="cpu")(text)
    got = post(server, "/ner", {"inputs": text, "model": "ner"}).json()
    assert [(e["entity_group"], e["start"], e["end"], e["word"]) for e in got] == [
        (e.type, e.start, e.end, e.text) for e in expected
    ]
    assert all(text[e["start"] : e["end"]] == e["word"] for e in got)


def test_qa_answer_matches_the_pipeline(server, tiny_dirs):
    qa_dir = tiny_dirs["qa"]
    question, context = "Where is the bank?", "The bank is on the north side of the river."
    expected = pipeline("qa", qa_dir, device="cpu")(question, context)
    got = post(server, "/qa", {"question": question, "context": context, "model": "qa"}).json()
    assert (got["answer"], got["start"], got["end"]) == (
        expected.text,
        expected.start,
        expected.end,
    )
    assert got["score"] == pytest.approx(expected.score, abs=1e-5)


def test_fill_mask_top_k_matches_the_pipeline(server, tiny_dirs):
    mlm_dir = tiny_dirs["mlm"]
    text = "The capital of France is [MASK]."
    expected = pipeline("fill-mask", mlm_dir, device="cpu")(text, top_k=4)[0]
    got = post(server, "/fill-mask", {"inputs": text, "top_k": 4, "model": "mlm"}).json()
    assert [x["token"] for x in got] == [x.token_id for x in expected]
    np.testing.assert_allclose([x["score"] for x in got], [x.score for x in expected], atol=1e-5)
    assert all("[MASK]" not in x["sequence"] for x in got)
    two = post(server, "/fill-mask", {"inputs": "[MASK] is [MASK].", "model": "mlm"}).json()
    assert len(two) == 2 and all(len(per_mask) == 5 for per_mask in two)


def test_tokenize_gives_ids_and_offsets(server, minilm_dir):
    uncased_tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    text = "Tokenizers split unaffable words."
    got = post(server, "/tokenize", {"inputs": [text], "model": "minilm"}).json()[0]
    encoding = uncased_tokenizer.encode(text)
    assert [t["id"] for t in got] == encoding.input_ids
    assert got[0]["special"] and got[-1]["special"]
    assert [text[t["start"] : t["stop"]].lower() for t in got[1:-1]] == [
        t.removeprefix("##") for t in encoding.tokens[1:-1]
    ]


def test_info_and_metrics_describe_the_server(server):
    info = httpx.get(server.url + "/info").json()
    assert {m["name"]: m["tasks"] for m in info["models"]}["mlm"] == ["embed", "fill-mask"]
    assert info["max_batch_tokens"] == 16384
    post(server, "/embed", {"inputs": "warm", "model": "minilm"})
    text = httpx.get(server.url + "/metrics").text
    assert 'bertkit_requests_total{route="/embed",status="200"}' in text
    assert 'bertkit_batch_size_count{batcher="minilm/embed"}' in text
    assert "# TYPE bertkit_request_duration_seconds histogram" in text


def test_the_page_is_served_only_when_asked(server):
    page = httpx.get(server.url + "/")  # POST / is TEI's root route; GET / only with --ui
    assert page.status_code == 405 and "html" not in page.headers["content-type"]
