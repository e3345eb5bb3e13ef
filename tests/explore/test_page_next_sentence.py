"""The Applications view of a model with the next-sentence head (a `bertkit pretrain` output): the
page at / offers the next-sentence panel, and the ranking it shows is what /next-sentence gives."""

import httpx
import pytest
from selenium.webdriver.common.by import By

from bertkit import BertForPreTraining
from bertkit.tokenizer import WordPieceTokenizer
from tests.explore.test_page_apps import shown_panels, use, wait
from tests.pipelines.conftest import save_tiny_model
from tests.serve.server import Server


@pytest.fixture(scope="module")
def nsp_server(tmp_path_factory, minilm_dir):
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    nsp = save_tiny_model(tmp_path_factory.mktemp("nsp"), BertForPreTraining, tokenizer)
    args = ["--model", f"pretrained={nsp}", "--model", f"minilm={minilm_dir}"]
    log = tmp_path_factory.mktemp("ui-nsp") / "server.log"
    running = Server(args, log, command="explore")
    yield running
    assert running.stop() == 0, log.read_text()


def test_the_next_sentence_panel_ranks_as_the_route(browser, nsp_server):
    browser.get(nsp_server.url + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    use(browser, "minilm")  # an encoder without the head: no panel
    assert "Next sentence" not in shown_panels(browser)
    use(browser, "pretrained")
    assert "Next sentence" in shown_panels(browser)
    first = browser.find_element(By.ID, "ns-a").get_attribute("value")
    candidates = browser.find_element(By.ID, "ns-candidates").get_attribute("value").splitlines()
    browser.find_element(By.ID, "ns-go").click()
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#ns-output .ns-row"))
    body = {"text": first, "candidates": candidates, "model": "pretrained"}
    ranked = httpx.post(nsp_server.url + "/next-sentence", json=body, timeout=60).json()
    assert len(ranked) == len(candidates) == 2
    assert [r.get_attribute("textContent") for r in rows] == [
        f"{100 * c['score']:.1f}%  {c['text']}" for c in ranked
    ]
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
