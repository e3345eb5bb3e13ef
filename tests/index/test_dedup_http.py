"""POST /dedup: the pairs and clusters `find_duplicates` gives, and bad bodies as one-line 422s."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bertkit.index.dedup import find_duplicates
from bertkit.index.dedup_http import add_dedup_route
from bertkit.pipelines import EmbedPipeline
from tests.conftest import need_file


@pytest.fixture(scope="module")
def embed(minilm_dir) -> EmbedPipeline:
    return EmbedPipeline(minilm_dir)


@pytest.fixture(scope="module")
def client(embed) -> TestClient:
    app = FastAPI()
    add_dedup_route(app, {"minilm": embed})
    return TestClient(app)


@pytest.fixture(scope="module")
def texts(data_dir) -> list[str]:
    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:31]
    return list(dict.fromkeys(row.split("\t")[i] for row in rows for i in (3, 4)))


@pytest.mark.parametrize("query", [{"threshold": 0.8}, {"top_k": 2}])
def test_dedup_equals_find_duplicates(client, embed, texts, query):
    response = client.post("/dedup", json={"inputs": texts} | query)
    assert response.status_code == 200, response.text
    found = find_duplicates(embed, texts, query.get("threshold"), query.get("top_k"))
    got = response.json()
    assert [(p["first"], p["second"]) for p in got["pairs"]] == [
        (p.first, p.second) for p in found.pairs
    ]
    assert got["clusters"] == found.clusters
    assert bool(got["clusters"]) == ("threshold" in query)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"inputs": ["only one"]}, "2 to"),
        ({"inputs": ["a", ""]}, "non-empty strings"),
        ({"inputs": ["a", "b"], "threshold": 0.5, "top_k": 2}, "one of the two"),
        ({"inputs": ["a", "b"], "threshold": "high"}, "'threshold' must be a number"),
        ({"inputs": ["a", "b"], "model": "other"}, "unknown model"),
    ],
)
def test_bad_bodies_are_422(client, body, message):
    response = client.post("/dedup", json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]
