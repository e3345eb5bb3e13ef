"""The Applications view in headless Chromium: it offers the panels the chosen model can serve,
and the summary and BERTScore panels show what /summarize and /score return."""

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT_S = 60


@pytest.fixture(scope="module")
def page(browser, ui_server):
    browser.get(ui_server.url + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    return browser


def wait(driver, condition):
    return WebDriverWait(driver, TIMEOUT_S).until(condition)


def use(driver, model: str) -> None:
    Select(driver.find_element(By.ID, "model")).select_by_value(model)
    driver.find_element(By.CSS_SELECTOR, 'nav button[data-view="apps"]').click()


def shown_panels(driver) -> set[str]:
    panels = driver.find_elements(By.CSS_SELECTOR, "#view-apps [data-needs]")
    return {p.find_element(By.TAG_NAME, "h2").text for p in panels if p.is_displayed()}


def test_the_panels_follow_what_the_model_serves(page):
    use(page, "minilm")  # an encoder without the next-sentence head
    assert shown_panels(page) == {
        "Extractive summary",
        "BERTScore",
        "Near-duplicates",
        "Token vectors",
    }
    assert not page.find_element(By.ID, "apps-none").is_displayed()
    use(page, "ner")  # a token classifier serves none of them
    assert shown_panels(page) == set()
    assert page.find_element(By.ID, "apps-none").is_displayed()


def test_summary_and_bertscore_show_the_routes_answers(page, ui_server):
    use(page, "minilm")
    text = page.find_element(By.ID, "sum-text").get_attribute("value")
    page.find_element(By.ID, "sum-go").click()
    marks = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#sum-output mark.summary"))
    expected = httpx.post(
        ui_server.url + "/summarize", json={"inputs": text, "sentences": 2, "model": "minilm"}
    ).json()
    assert [
        (int(m.get_attribute("data-start")), int(m.get_attribute("data-end"))) for m in marks
    ] == [(s["start"], s["end"]) for s in expected]
    assert [m.get_attribute("textContent") for m in marks] == [s["text"] for s in expected]
    page.find_element(By.ID, "bs-go").click()
    rows = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#bs-output .score-row"))
    body = {
        "candidates": [page.find_element(By.ID, "bs-candidate").get_attribute("value")],
        "references": [page.find_element(By.ID, "bs-reference").get_attribute("value")],
        "model": "minilm",
    }
    (score,) = httpx.post(ui_server.url + "/score", json=body).json()["scores"]
    assert [r.text for r in rows] == [
        f"precision {score['precision']:.4f}",
        f"recall {score['recall']:.4f}",
        f"F1 {score['f1']:.4f}",
    ]
    errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_near_duplicates_show_the_groups_of_dedup(page, ui_server):
    use(page, "minilm")
    texts = page.find_element(By.ID, "dd-texts").get_attribute("value").splitlines()
    threshold = float(page.find_element(By.ID, "dd-threshold").get_attribute("value"))
    page.find_element(By.ID, "dd-go").click()
    groups = wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#dd-output ul.dup-cluster"))
    body = {"inputs": texts, "threshold": threshold, "model": "minilm"}
    expected = httpx.post(ui_server.url + "/dedup", json=body).json()["clusters"]
    assert expected, "the example has paraphrases above the threshold"
    assert [[li.text for li in g.find_elements(By.TAG_NAME, "li")] for g in groups] == [
        [texts[i] for i in cluster] for cluster in expected
    ]
