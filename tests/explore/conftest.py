"""The explorer's server (`bertkit explore`, which is `bertkit serve --ui`) over tiny task
models and the real MiniLM, a labelled corpus for the map, and one headless Chromium shared by
the page tests."""

import os
import shutil
from pathlib import Path

import pytest

from tests.serve.conftest import tiny_dirs  # noqa: F401  (the same tiny models as serve's tests)
from tests.serve.server import Server

CORPUS = [
    ("A gripping and beautifully acted film.", "positive"),
    ("One of the best movies of the year.", "positive"),
    ("I loved every minute of it.", "positive"),
    ("A warm, funny and moving story.", "positive"),
    ("The cast is wonderful and the script sparkles.", "positive"),
    ("A dull, lifeless and overlong mess.", "negative"),
    ("The plot makes no sense at all.", "negative"),
    ("I walked out after twenty minutes.", "negative"),
    ("Badly written and badly acted.", "negative"),
    ("A tedious film that never finds its footing.", "negative"),
    ("The stock market fell sharply on Monday.", "news"),
    ("The central bank raised interest rates again.", "news"),
]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.tsv"
    path.write_text("text\tlabel\n" + "".join(f"{t}\t{label}\n" for t, label in CORPUS))
    return path


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory, minilm_dir, tiny_dirs, corpus_file):  # noqa: F811
    models = {"mlm": tiny_dirs["mlm"], "ner": tiny_dirs["ner"], "qa": tiny_dirs["qa"]}
    models |= {"classify": tiny_dirs["classify"], "minilm": minilm_dir}
    args = [arg for name, path in models.items() for arg in ("--model", f"{name}={path}")]
    args += ["--corpus", str(corpus_file)]
    log = tmp_path_factory.mktemp("ui") / "server.log"
    running = Server(args, log, command="explore")
    yield running
    assert running.stop() == 0, log.read_text()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's chromium + chromedriver, headless, with a fresh profile; never downloaded."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists() or not shutil.which("chromedriver"):
        if os.environ.get("BERTKIT_REQUIRE_DATA") == "1":
            pytest.fail("chromium and chromedriver are required (apt install chromium-driver)")
        pytest.skip("chromium / chromedriver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
