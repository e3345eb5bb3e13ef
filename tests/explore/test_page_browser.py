"""The page in a real headless Chromium against the real server: it loads from the server alone
with no console errors, and each view shows what the JSON routes return. Screenshots of each
view are written to the test's tmp folder (and to $BERTKIT_SCREENSHOTS when set)."""

import os
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.explore.conftest import CORPUS

TIMEOUT_S = 60


@pytest.fixture(scope="module")
def page(browser, ui_server, tmp_path_factory):
    browser.get(ui_server.url + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    browser.shots = tmp_path_factory.mktemp("screenshots")
    return browser


def wait(driver, condition):
    return WebDriverWait(driver, TIMEOUT_S).until(condition)


def use(driver, model: str, view: str) -> None:
    Select(driver.find_element(By.ID, "model")).select_by_value(model)
    driver.find_element(By.CSS_SELECTOR, f'nav button[data-view="{view}"]').click()


def fill(driver, element_id: str, text: str) -> None:
    box = driver.find_element(By.ID, element_id)
    box.clear()
    box.send_keys(text)


def screenshot(driver, name: str) -> Path:
    """The whole page (the window grows to fit it, up to 2400 px) as a PNG."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(height + 140, 2400))
    path = driver.shots / f"{name}.png"
    driver.save_screenshot(str(path))
    extra = os.environ.get("BERTKIT_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(extra) / f"explore-{name}.png"))
    driver.set_window_size(1280, 1000)
    assert path.stat().st_size > 10_000
    return path


def test_attention_grid_has_a_cell_per_layer_and_head(page):
    use(page, "mlm", "attention")
    fill(page, "attn-pair", "It was warm by the fire.")
    page.find_element(By.ID, "attn-go").click()
    cells = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "canvas.attn-cell"))
    assert len(cells) == 2 * 4  # the tiny model: 2 layers x 4 heads
    lines = page.find_elements(By.CSS_SELECTOR, "svg.head-view line")
    assert lines
    token = page.find_elements(By.CSS_SELECTOR, "svg.head-view text.query")[2]
    ActionChains(page).move_to_element(token).perform()
    hovered = page.find_elements(By.CSS_SELECTOR, "svg.head-view line")
    assert 0 < len(hovered) < len(lines)  # only that token's lines
    Select(page.find_element(By.CSS_SELECTOR, "select.attn-filter")).select_by_value("AB")
    cells[5].click()  # layer 1, head 1
    assert page.find_element(By.CSS_SELECTOR, "select.attn-layer").get_attribute("value") == "1"
    use(page, "minilm", "attention")  # the real model: 6 layers x 12 heads
    fill(page, "attn-pair", "")
    page.find_element(By.ID, "attn-go").click()
    wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "canvas.attn-cell")) == 6 * 12)
    page.find_elements(By.CSS_SELECTOR, "canvas.attn-cell")[2 * 12 + 5].click()
    screenshot(page, "attention")


def test_clicking_a_token_masks_it_and_shows_the_predictions(page, ui_server):
    use(page, "mlm", "fill-mask")
    text = "The capital of France is Paris."
    fill(page, "fm-text", text)
    page.find_element(By.ID, "fm-tokenize").click()
    chips = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".fm-token"))
    assert [c.text for c in chips] == ["The", "capital", "of", "France", "is", "Paris", "."]
    chips[5].click()
    masked = "The capital of France is [MASK]."
    wait(page, lambda d: d.find_element(By.ID, "fm-masked").text == masked)
    rows = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#fm-results .bar-row"))
    expected = httpx.post(
        ui_server.url + "/fill-mask", json={"inputs": masked, "top_k": 10, "model": "mlm"}
    ).json()
    assert [r.find_element(By.CLASS_NAME, "bar-label").text for r in rows] == [
        c["token_str"] for c in expected
    ]
    chips[1].click()  # another token: the view follows
    wait(
        page, lambda d: d.find_element(By.ID, "fm-masked").text == text.replace("capital", "[MASK]")
    )
    screenshot(page, "fill-mask")


def test_ner_and_qa_highlights_sit_on_the_right_characters(page, ui_server):
    use(page, "ner", "tasks")
    text = "Angela Merkel met Emmanuel Macron in Paris and Berlin."
    fill(page, "ner-text", text)
    page.find_element(By.ID, "ner-go").click()
    entities = httpx.post(ui_server.url + "/ner", json={"inputs": text, "model": "ner"}).json()
    assert entities, "the tiny random model should tag something"
    marks = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#ner-output mark.entity"))
    assert [(m.get_attribute("data-start"), m.get_attribute("data-end")) for m in marks] == [
        (str(e["start"]), str(e["end"])) for e in entities
    ]
    assert [m.get_attribute("textContent") for m in marks] == [
        text[e["start"] : e["end"]] for e in entities
    ]
    Select(page.find_element(By.ID, "model")).select_by_value("qa")
    context = "The bank is on the north side of the river, next to the old mill."
    fill(page, "qa-context", context)
    page.find_element(By.ID, "qa-go").click()
    answer = httpx.post(
        ui_server.url + "/qa",
        json={"question": "Where is the bank?", "context": context, "model": "qa"},
    ).json()
    mark = wait(page, lambda d: d.find_element(By.CSS_SELECTOR, "#qa-output mark.answer"))
    assert mark.text == context[answer["start"] : answer["end"]] == answer["answer"]
    Select(page.find_element(By.ID, "model")).select_by_value("classify")
    page.find_element(By.ID, "cls-go").click()
    bars = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#cls-output .bar-row"))
    assert len(bars) == 3
    screenshot(page, "tasks")


def test_embedding_map_shows_the_corpus_and_neighbours(page):
    use(page, "minilm", "embeddings")
    page.find_element(By.ID, "map-go").click()
    points = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "circle.map-point"))
    assert len(points) == len(CORPUS)
    colours = {p.get_attribute("fill") for p in points}
    assert len(colours) == 3  # positive, negative, news
    points[0].click()
    items = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#map-detail li"))
    assert len(items) == 5
    fill(page, "map-query", "What a fantastic movie!")
    page.find_element(By.ID, "map-query-go").click()
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.map path.map-query"))
    detail = page.find_element(By.ID, "map-detail").text
    assert "Query: What a fantastic movie!" in detail
    page.find_element(By.ID, "sim-go").click()
    cells = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "td.sim-cell"))
    assert len(cells) == 16 and cells[0].text == "1.00"
    screenshot(page, "embeddings")


def test_no_console_errors_and_nothing_loaded_from_elsewhere(page, ui_server):
    errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    resources = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources and all(r.startswith(ui_server.url) for r in resources)
