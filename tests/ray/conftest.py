"""One real local Ray per test module (2 CPUs, loopback, no dashboard), a tiny embedding model
and small corpus files cut from real data (SQuAD dev paragraphs, WikiText-2 lines).

Starting Ray costs seconds, so a module starts it once (module scope) and every job in the module
runs on it; a job started in a subprocess (to be killed) joins it by its address.
"""

import json
import signal
from pathlib import Path

import pytest

from bertkit import BertModel
from bertkit.tokenizer import WordPieceTokenizer
from tests.conftest import need_file
from tests.pipelines.conftest import save_tiny_model


@pytest.fixture(scope="module", autouse=True)
def keep_signal_handlers():
    """Ray's driver installs its own SIGTERM handler and leaves it after shutdown; the tests
    after these (train/'s signal tests among them) expect the process's handlers as they were."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture(scope="module")
def ray_address():
    ray = pytest.importorskip("ray")
    pytest.importorskip("pyarrow")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        object_store_memory=256 * 2**20,
        log_to_driver=False,
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, minilm_dir) -> Path:
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    return save_tiny_model(tmp_path_factory.mktemp("tiny-embed"), BertModel, tokenizer)


@pytest.fixture(scope="session")
def paragraphs(data_dir) -> list[str]:
    squad = json.loads(need_file(data_dir / "squad-v1.1" / "dev-v1.1.json").read_text())
    return [p["context"] for article in squad["data"] for p in article["paragraphs"]]


@pytest.fixture(scope="session")
def wiki_lines(data_dir) -> list[str]:
    text = need_file(data_dir / "wikitext-2-raw" / "wiki.valid.raw").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if len(line.strip()) > 40]


def write_corpus(folder: Path, paragraphs: list[str], wiki_lines: list[str], rows: int) -> Path:
    """Four files of `rows` passages: two JSONL (with ids), one text file (with blank lines,
    skipped), one Parquet file (no ids)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for number in range(2):
        chunk = paragraphs[number * rows : (number + 1) * rows]
        with (folder / f"squad-{number}.jsonl").open("w", encoding="utf-8") as f:
            for row, text in enumerate(chunk):
                f.write(json.dumps({"id": f"squad-{number}-{row}", "text": text}) + "\n")
    (folder / "wiki.txt").write_text("\n\n".join(wiki_lines[:rows]) + "\n", encoding="utf-8")
    table = pa.table({"text": paragraphs[2 * rows : 3 * rows]})
    pq.write_table(table, folder / "squad-2.parquet")
    return folder
