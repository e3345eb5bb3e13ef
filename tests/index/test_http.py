"""`POST /search`: an index's hits over HTTP, as the searcher gives them; bad bodies are 4xx."""

import json

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


def test_bertkit_serve_with_an_index_answers_post_search(searcher, tiny_embedder, tmp_path):
    import httpx

    from tests.serve.server import Server

    args = ["--model", str(tiny_embedder), "--index", str(searcher.directory)]
    server = Server(args, tmp_path / "serve.log")
    try:
        query = "Which team won?"
        reply = httpx.post(server.url + "/search", json={"query": query, "k": 3}, timeout=60)
        assert reply.status_code == 200, reply.text
        assert [h["id"] for h in reply.json()["hits"]] == [h.id for h in searcher(query, k=3)]
        assert httpx.post(server.url + "/search", json={"k": 3}, timeout=60).status_code == 422
        embed = httpx.post(server.url + "/embed", json={"inputs": "x"}, timeout=60)
        assert embed.status_code == 200  # the model routes are still there
    finally:
        assert server.stop() == 0


def test_a_served_copy_of_the_index_model_embeds_the_queries(searcher, tiny_embedder, tmp_path):
    """The index on a search server: its recorded model directory is absent there, and the
    served copy (same files, another path) is the one picked; another model is not."""
    import shutil

    from bertkit.errors import BertkitError
    from bertkit.index.searcher import pick_query_model

    copy = shutil.copytree(tiny_embedder, tmp_path / "copy")
    index = shutil.copytree(searcher.directory, tmp_path / "index")
    assert pick_query_model(index, {"mine": copy}) == ("mine", copy)
    manifest = index / "manifest.json"
    text = manifest.read_text().replace(str(tiny_embedder.resolve()), str(tmp_path / "gone"))
    manifest.write_text(text)
    assert pick_query_model(index, {"a": tmp_path, "mine": copy}) == ("mine", copy)
    with pytest.raises(BertkitError, match="is not on this machine") as error:
        pick_query_model(index, {"other": tmp_path})
    assert "\n" not in str(error.value) and str(index) in str(error.value)


def test_serve_with_another_model_searches_with_the_index_model(
    searcher, tiny_embedder, other_embedder, tmp_path
):
    """`serve --model OTHER --index I`: /embed answers with OTHER, /search embeds its queries
    with the model I was built with (the recorded one), so hits equal the searcher's."""
    import httpx
    import numpy as np

    from bertkit.pipelines.embed import EmbedPipeline
    from tests.serve.server import Server

    args = ["--model", str(other_embedder), "--index", str(searcher.directory)]
    server = Server(args, tmp_path / "serve.log")
    try:
        query = "Which team won?"
        reply = httpx.post(server.url + "/search", json={"query": query, "k": 3}, timeout=60)
        assert reply.status_code == 200, reply.text
        assert [h["id"] for h in reply.json()["hits"]] == [h.id for h in searcher(query, k=3)]
        vector = httpx.post(server.url + "/embed", json={"inputs": query}, timeout=60).json()[0]
        other = EmbedPipeline(other_embedder, device="cpu")([query])[0]
        assert np.allclose(vector, other / np.linalg.norm(other), atol=1e-5)
    finally:
        assert server.stop() == 0
    assert "queries embedded by recorded" in (tmp_path / "serve.log").read_text()


def test_serve_with_an_index_whose_model_is_nowhere_is_one_line(searcher, other_embedder, tmp_path):
    import shutil
    import subprocess
    import sys

    index = shutil.copytree(searcher.directory, tmp_path / "index")
    manifest = index / "manifest.json"
    recorded = json.loads(manifest.read_text())["model"]["path"]
    manifest.write_text(manifest.read_text().replace(recorded, str(tmp_path / "gone")))
    argv = [sys.executable, "-m", "bertkit.cli.main", "serve", "--model", str(other_embedder)]
    done = subprocess.run(
        argv + ["--index", str(index), "--device", "cpu", "--port", "0"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "serve it as well" in lines[-1], done.stderr
    assert "Traceback" not in done.stderr
