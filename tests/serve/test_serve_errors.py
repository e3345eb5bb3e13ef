"""Bad requests get a JSON error with the right status, never a 500, and the server stays
healthy after them."""

import httpx
import pytest


def post(server, route: str, content: bytes | str, headers: dict | None = None) -> httpx.Response:
    return httpx.post(server.url + route, content=content, headers=headers, timeout=60)


BAD_REQUESTS = [
    ("/embed", '{"inputs": '),  # not JSON
    ("/embed", "[1, 2]"),  # not an object
    ("/embed", '{"inputs": 5}'),
    ("/embed", '{"inputs": []}'),
    ("/embed", '{"inputs": ["ok", ""]}'),
    ("/embed", '{"inputs": "ok", "normalize": "yes"}'),
    ("/embed", '{"inputs": "ok", "model": "nobody"}'),
    ("/v1/embeddings", '{"input": "ok", "model": "minilm", "encoding_format": "hex"}'),
    ("/ner", '{"inputs": "a model that cannot do NER", "model": "minilm"}'),
    ("/fill-mask", '{"inputs": "no mask here", "model": "mlm"}'),
    ("/fill-mask", '{"inputs": "a [MASK]", "model": "mlm", "top_k": 0}'),
    ("/qa", '{"question": "why?", "model": "qa"}'),
    ("/predict", '{"inputs": [["a", "b", "c"]], "model": "classify"}'),
    ("/rerank", '{"query": "q", "texts": ["a"], "model": "classify"}'),  # 3 labels
]


@pytest.mark.parametrize(("route", "body"), BAD_REQUESTS)
def test_invalid_requests_are_422_with_a_json_error(server, route, body):
    response = post(server, route, body, {"content-type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()
    assert set(error) == {"error", "error_type"} and error["error"]


def test_too_long_input_is_422_unless_truncated(server):
    text = "word " * 400  # MiniLM reads 256 tokens
    long = post(server, "/embed", f'{{"inputs": "{text}", "model": "minilm"}}')
    assert long.status_code == 422 and "256" in long.json()["error"]
    cut = post(server, "/embed", f'{{"inputs": "{text}", "model": "minilm", "truncate": true}}')
    assert cut.status_code == 200 and len(cut.json()[0]) == 384


def test_body_over_the_limit_is_413_from_content_length(server):
    body = '{"inputs": "' + "a" * 2_100_000 + '"}'
    response = post(server, "/embed", body)
    assert response.status_code == 413
    assert response.json()["error_type"] == "payload"


def test_unknown_route_is_a_json_404(server):
    response = httpx.get(server.url + "/nowhere")
    assert response.status_code == 404 and response.json()["error_type"] == "not_found"


def test_health_after_bad_requests(server):
    for route, body in BAD_REQUESTS:
        post(server, route, body)
    health = httpx.get(server.url + "/health", timeout=60)
    assert health.status_code == 200
    metrics = httpx.get(server.url + "/metrics").text
    assert 'status="500"' not in metrics
