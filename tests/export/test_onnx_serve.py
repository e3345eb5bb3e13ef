"""`bertkit serve` on exported directories, in a process where importing torch fails: the ONNX
runtime answers /embed and /predict with what bertkit's PyTorch pipelines give."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from bertkit.pipelines import pipeline
from tests.serve.server import Server, free_port

NO_TORCH_MAIN = (
    "import sys; sys.modules['torch'] = None; "
    "from bertkit.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


class TorchFreeServer(Server):
    """`bertkit serve` started with torch unimportable (the ONNX-only install)."""

    def __init__(self, args: list[str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        argv = [sys.executable, "-c", NO_TORCH_MAIN, "serve", *args, "--port", str(self.port)]
        env = os.environ | {"OMP_NUM_THREADS": "2"}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.wait_ready()


SENTENCES = ["A man is playing a guitar.", "The bank of the river was flooded after the storm."]


@pytest.fixture(scope="module")
def onnx_server(tmp_path_factory, minilm_onnx, exported):
    models = {"minilm": minilm_onnx[True], "classify": exported["sequence-classification", True]}
    args = [arg for name, path in models.items() for arg in ("--model", f"{name}={path}")]
    log = tmp_path_factory.mktemp("onnx-server") / "server.log"
    running = TorchFreeServer(args, log)
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
