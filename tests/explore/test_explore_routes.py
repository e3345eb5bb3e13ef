"""The page's JSON routes over HTTP, and the rule that the page loads nothing from elsewhere."""

from importlib import resources

import httpx
import numpy as np

from tests.explore.conftest import CORPUS


def post(server, route: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + route, json=body, timeout=120)


def test_every_asset_is_in_the_package_and_names_no_other_host(ui_server):
    static = resources.files("bertkit.explore").joinpath("static")
    names = sorted(p.name for p in static.iterdir())
    assert names == ["app.js", "apps.js", "attention.js", "index.html", "style.css"]
    for name in names:
        text = static.joinpath(name).read_text("utf-8")
        served = httpx.get(f"{ui_server.url}/ui/{name}")
        assert served.status_code == 200 and served.text == text
        text = text.replace("http://www.w3.org/2000/svg", "")  # a namespace name, not a fetch
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, name
    assert httpx.get(ui_server.url + "/").text == static.joinpath("index.html").read_text("utf-8")
    assert httpx.get(ui_server.url + "/ui/../app.py").status_code == 404


def test_map_of_given_texts_neighbours_and_similarity(ui_server):
    texts = [t for t, _ in CORPUS[:6]]
    labels = [label for _, label in CORPUS[:6]]
    got = post(ui_server, "/map", {"texts": texts, "labels": labels, "model": "minilm"}).json()
    assert [p["text"] for p in got["points"]] == texts
    assert [p["label"] for p in got["points"]] == labels
    assert 0 < sum(got["explained"]) <= 1
    near = post(ui_server, "/map/neighbours", {"index": 0, "k": 3}).json()["neighbours"]
    assert len(near) == 3 and all(n["index"] != 0 for n in near)
    assert [n["score"] for n in near] == sorted((n["score"] for n in near), reverse=True)
    placed = post(ui_server, "/map/neighbours", {"text": texts[2], "k": 1}).json()
    assert placed["neighbours"][0]["index"] == 2  # a text's nearest neighbour is itself
    point = got["points"][2]
    assert np.allclose([placed["x"], placed["y"]], [point["x"], point["y"]], atol=1e-4)
    matrix = np.asarray(post(ui_server, "/similarity", {"texts": texts[:3]}).json()["matrix"])
    assert matrix.shape == (3, 3)
    np.testing.assert_allclose(np.diag(matrix), 1, atol=1e-5)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)


def test_bad_explorer_requests_are_json_422(ui_server):
    for route, body in [
        ("/map", {"texts": ["a", "b"], "labels": ["x"]}),
        ("/map", {"texts": []}),
        ("/attention", {"text": ""}),
        ("/attention", {"text": "hi", "model": "nobody"}),
        ("/map/neighbours", {"k": 2}),
        ("/similarity", {"texts": ["fine", " "]}),
    ]:
        response = post(ui_server, route, body)
        assert response.status_code == 422, (route, body, response.text)
        assert set(response.json()) == {"error", "error_type"}
    health = httpx.get(ui_server.url + "/health", timeout=60)
    assert health.status_code == 200
