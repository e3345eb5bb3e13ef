"""Concurrent requests are batched together, and each result equals the input run alone."""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from bertkit.pipelines import pipeline

# Varied lengths, so that batches mix short and long inputs (and pad).
SENTENCES = [
    f"{subject} {verb} the {thing}{tail}"
    for subject, verb, thing, tail in zip(
        ["The film", "A critic", "Nobody", "My sister", "The old director", "Every viewer"] * 4,
        ["loved", "hated", "ignored", "remembered", "praised", "questioned"] * 4,
        ["ending", "score", "opening scene", "cast", "long second act", "dialogue"] * 4,
        [
            ".",
            " because it was slow and the actors seemed bored for most of the two hours.",
            ", twice.",
            " without ever explaining why, which left the audience puzzled.",
            "!",
            " in a review that was longer than the film itself and twice as funny.",
        ]
        * 4,
        strict=True,
    )
]


def batch_sizes(server, batcher: str) -> tuple[int, int]:
    """(batches run, inputs run) by one batcher, from /metrics."""
    text = httpx.get(server.url + "/metrics").text
    count = re.search(rf'bertkit_batch_size_count{{batcher="{batcher}"}} (\d+)', text)
    total = re.search(rf'bertkit_batch_size_sum{{batcher="{batcher}"}} ([\d.]+)', text)
    if count is None:
        return 0, 0
    return int(count.group(1)), int(float(total.group(1)))


def test_concurrent_embeddings_equal_each_sentence_alone(server, minilm_dir):
    embed = pipeline("embed", minilm_dir, device="cpu")
    alone = np.stack([embed(s) for s in SENTENCES])
    before = (
        batch_sizes(server, "minilm/embed")
        if "minilm/embed" in httpx.get(server.url + "/metrics").text
        else (0, 0)
    )

    def one(sentence: str) -> list[float]:
        response = httpx.post(
            server.url + "/embed", json={"inputs": sentence, "model": "minilm"}, timeout=120
        )
        assert response.status_code == 200, response.text
        return response.json()[0]

    with ThreadPoolExecutor(16) as pool:
        served = np.asarray(list(pool.map(one, SENTENCES)))
    cosine = (
        (served * alone).sum(-1) / np.linalg.norm(served, axis=-1) / np.linalg.norm(alone, axis=-1)
    )
    assert cosine.min() >= 0.99999
    batches, inputs = batch_sizes(server, "minilm/embed")
    batches, inputs = batches - before[0], inputs - before[1]
    assert inputs == len(SENTENCES)
    assert batches < len(SENTENCES), "concurrent requests were never batched together"


def test_concurrent_ner_equals_each_text_alone(server, tiny_dirs):
    ner_dir = tiny_dirs["ner"]
    ner = pipeline("ner", ner_dir, device="cpu")
    alone = [[(e.type, e.start, e.end) for e in ner(s)] for s in SENTENCES]

    def one(sentence: str):
        response = httpx.post(
            server.url + "/ner", json={"inputs": sentence, "model": "ner"}, timeout=120
        )
        return [(e["entity_group"], e["start"], e["end"]) for e in response.json()]

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(one, SENTENCES)) == alone


def test_a_request_whose_client_left_is_dropped_before_the_model(server):
    """While a big MiniLM batch holds the model thread, a client queues inputs for the tiny
    masked LM and hangs up; they must never run."""
    before = batch_sizes(server, "mlm/embed")
    big = {"inputs": ["a long sentence to keep the model busy " * 30] * 32, "model": "minilm"}
    busy = threading.Thread(
        target=lambda: httpx.post(server.url + "/embed", json=big | {"truncate": True}, timeout=300)
    )
    busy.start()
    deadline = time.monotonic() + 60
    while "bertkit_requests_in_flight 0" in httpx.get(server.url + "/metrics").text:
        assert time.monotonic() < deadline, "the big request never started"
        time.sleep(0.01)
    with pytest.raises(httpx.TimeoutException):
        httpx.post(
            server.url + "/embed", json={"inputs": ["left"] * 3, "model": "mlm"}, timeout=0.3
        )
    busy.join()
    time.sleep(0.5)
    assert batch_sizes(server, "mlm/embed") == before
    later = httpx.post(server.url + "/embed", json={"inputs": "here", "model": "mlm"}, timeout=60)
    assert later.status_code == 200
    assert batch_sizes(server, "mlm/embed")[1] == before[1] + 1
