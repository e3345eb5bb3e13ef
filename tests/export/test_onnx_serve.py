"""`bertkit serve` on exported directories: the ONNX runtime answers /embed and /predict with
what bertkit's PyTorch pipelines give."""

import httpx
import numpy as np
import pytest

from bertkit.pipelines import pipeline
from tests.serve.server import Server

SENTENCES = ["A man is playing a guitar.", "The bank of the river was flooded after the storm."]


@pytest.fixture(scope="module")
def onnx_server(tmp_path_factory, minilm_onnx, exported):
    models = {"minilm": minilm_onnx[True], "classify": exported["sequence-classification", True]}
    args = [arg for name, path in models.items() for arg in ("--model", f"{name}={path}")]
    log = tmp_path_factory.mktemp("onnx-server") / "server.log"
    running = Server(args, log)
    yield running
    assert running.stop() == 0, log.read_text()


def post(server: Server, route: str, body: dict) -> httpx.Response:
    response = httpx.post(server.url + route, json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response


def test_serve_embeds_and_classifies_with_exported_directories(onnx_server, minilm_dir, tiny_dirs):
    vectors = np.asarray(
        post(onnx_server, "/embed", {"inputs": SENTENCES, "model": "minilm"}).json()
    )
    expected = pipeline("embed", minilm_dir)(SENTENCES)
    assert (vectors * expected).sum(-1).min() >= 0.99999
    got = post(onnx_server, "/predict", {"inputs": SENTENCES[0], "model": "classify"}).json()
    reference = pipeline("classify", tiny_dirs["sequence-classification"])(SENTENCES[0], top_k=3)
    assert [x["label"] for x in got] == [x.label for x in reference]
    np.testing.assert_allclose([x["score"] for x in got], [x.score for x in reference], atol=1e-5)
