"""`POST /search`: an index's hits over HTTP, as the searcher gives them; bad bodies are 4xx."""

import pytest

from bertkit.index import IndexSearcher, build_index
from bertkit.index.http import add_search_route
from tests.index.conftest import write_jsonl


@pytest.fixture(scope="module")
def searcher(tiny_embedder, squad_paragraphs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("http-index")
    corpus = write_jsonl(tmp / "a.jsonl", squad_paragraphs[:30])
    build_index(tiny_embedder, [corpus], tmp / "index", use_bm25=True)
    return IndexSearcher(tmp / "index")


@pytest.fixture(scope="module")
def client(searcher):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    add_search_route(app, searcher)
    return TestClient(app)


def test_search_route_answers_what_the_searcher_answers(client, searcher, squad_paragraphs):
    question = squad_paragraphs[3]["question"]
    reply = client.post("/search", json={"query": question, "k": 4, "mode": "hybrid"})
    assert reply.status_code == 200
    expected = searcher(question, k=4, mode="hybrid")
    assert [h["id"] for h in reply.json()["hits"]] == [h.id for h in expected]
    assert set(reply.json()["hits"][0]) == {"id", "score", "text", "metadata"}
    many = client.post("/search", json={"queries": [question, "another"], "k": 2}).json()
    assert [len(hits) for hits in many["results"]] == [2, 2]


@pytest.mark.parametrize(
    "body",
    [
        {"k": 3},
        {"query": "a", "queries": ["b"]},
        {"query": ""},
        {"queries": []},
        {"query": "a", "k": 0},
        {"query": "a", "k": True},
        {"query": "a", "mode": "sparse"},
        ["a list"],
    ],
)
def test_bad_search_bodies_are_422_json(client, body):
    reply = client.post("/search", json=body)
    assert reply.status_code == 422
    assert reply.json()["error_type"] == "validation" and reply.json()["error"]


def test_a_body_that_is_not_json_is_400(client):
    headers = {"content-type": "application/json"}
    reply = client.post("/search", content=b"{not json", headers=headers)
    assert reply.status_code == 400
