"""`--workers 2`: two model threads, each with its own copy of the model, serve concurrent
requests; every result still equals the pipeline's for that input alone."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np

from bertkit.pipelines import pipeline
from tests.serve.server import Server
from tests.serve.test_serve_batching import SENTENCES, batch_sizes


def test_two_workers_serve_concurrent_requests_as_the_pipeline(tmp_path, minilm_dir):
    server = Server(["--model", f"minilm={minilm_dir}", "--workers", "2"], tmp_path / "log")
    try:
        assert httpx.get(server.url + "/info").json()["workers"] == 2

        def one(sentence: str) -> list[float]:
            response = httpx.post(server.url + "/embed", json={"inputs": sentence}, timeout=120)
            assert response.status_code == 200, response.text
            return response.json()[0]

        with ThreadPoolExecutor(8) as pool:
            served = np.array(list(pool.map(one, SENTENCES)))
        batches, inputs = batch_sizes(server, "minilm/embed")
    finally:
        assert server.stop() == 0, (tmp_path / "log").read_text()
    embed = pipeline("embed", minilm_dir, device="cpu")
    alone = np.stack([embed(s) for s in SENTENCES])
    cosines = (served * alone).sum(-1) / np.linalg.norm(served, axis=-1)
    assert cosines.min() >= 0.99999
    assert inputs >= len(SENTENCES) and batches >= 2
