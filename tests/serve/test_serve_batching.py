"""Concurrent requests are batched together, and each result equals the input run alone."""

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np

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
    return int(count.group(1)), int(float(total.group(1)))


def test_concurrent_embeddings_equal_each_sentence_alone(server, minilm_dir):
    embed = pipeline("embed", minilm_dir)
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
    ner = pipeline("ner", ner_dir)
    alone = [[(e.type, e.start, e.end) for e in ner(s)] for s in SENTENCES]

    def one(sentence: str):
        response = httpx.post(
            server.url + "/ner", json={"inputs": sentence, "model": "ner"}, timeout=120
        )
        return [(e["entity_group"], e["start"], e["end"]) for e in response.json()]

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(one, SENTENCES)) == alone
