"""`make demo` at a tiny scale: every step runs and leaves its output where it says; the built-in
corpus is deterministic prose from docstrings."""

import json
import logging

from bertkit.cli.main import main
from bertkit.pipelines.demo import DemoConfig, run_demo
from bertkit.pipelines.demo_corpus import corpus_text, module_docstrings, stdlib_documents

SOURCE = '''"""A module about spreadsheets.

It reads rows from files and writes them back out.

    >>> read_rows("a.csv")
    [['1', '2']]
"""


def read_rows(path):
    """Return a list of rows read from the file at path.

    Args:
      path: where the rows are.

    The rows are lists of strings. Empty lines are skipped.
    """


def _private():
    """Never part of the corpus: a private helper."""


class Sheet:
    """A sheet of cells, addressed by row and column."""

    def cell(self, row, column):
        """Return the value of one cell of the sheet."""
'''


def test_docstrings_become_prose_documents(tmp_path):
    path = tmp_path / "sheets.py"
    path.write_text(SOURCE)
    documents = module_docstrings(path, "sheets")
    assert [d.name for d in documents] == [
        "sheets",
        "sheets.read_rows",
        "sheets.Sheet",
        "sheets.Sheet.cell",
    ]
    assert documents[0].sentences == [
        "A module about spreadsheets.",
        "It reads rows from files and writes them back out.",
    ]
    assert documents[1].sentences == [
        "Return a list of rows read from the file at path.",
        "The rows are lists of strings.",
        "Empty lines are skipped.",
    ]
    assert (
        documents[1].passage
        == "sheets.read_rows: Return a list of rows read from the file at path."
    )
    assert corpus_text(documents[:2]).count("\n\n") == 1  # a blank line between documents


def test_the_stdlib_corpus_skips_tests_and_private_modules_in_sorted_order(tmp_path):
    for name in ("zeta.py", "alpha/__init__.py", "alpha/beta.py", "test/test_x.py", "_priv.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text('"""A module docstring with enough words in it."""\n')
    names = [d.name for d in stdlib_documents(tmp_path)]
    assert names == ["alpha", "alpha.beta", "zeta"]


def test_demo_runs_every_step_at_a_tiny_scale(tmp_path, minilm_dir, caplog):
    caplog.set_level(logging.INFO)
    config = DemoConfig(
        out=str(tmp_path / "demo"),
        max_documents=120,
        max_steps=3,
        vocab_size=600,
        max_seq_length=32,
        batch_size=8,
        top_k=3,
    )
    result = run_demo(config)
    out = tmp_path / "demo"
    for name in ("corpus.txt", "passages.txt", "tokenizer/vocab.txt", "data/index.json"):
        assert (out / name).exists(), name
    for name in ("pretrain/model/config.json", "pretrain/loss.png", "demo.json"):
        assert (out / name).exists(), name
    assert len((out / "passages.txt").read_text().splitlines()) == 120
    assert [row["expected"] for row in result.fill_mask][:2] == ["list", "exist"]
    assert all(len(row["masks"][0]) == 3 for row in result.fill_mask)
    assert len(result.search) == 5 and all(len(row["hits"]) == 3 for row in result.search)
    saved = json.loads((out / "demo.json").read_text())
    assert set(saved["seconds"]) == {
        "corpus",
        "tokenizer",
        "data",
        "pretrain",
        "fill_mask",
        "search",
    }
    for step in ("corpus", "tokenizer", "data", "pretrain", "fill_mask", "search"):
        assert f"-> {saved['outputs'][step]}" in caplog.text  # each step says where output went


def test_demo_command_takes_the_users_corpus(tmp_path, minilm_dir, caplog):
    caplog.set_level(logging.INFO)
    corpus = tmp_path / "notes.txt"
    paragraphs = [
        f"Paragraph {i} talks about gardens. Tomatoes need sun and water every day. "
        f"Basil grows well next to tomatoes in summer number {i}."
        for i in range(40)
    ]
    corpus.write_text("\n\n".join(paragraphs) + "\n")
    out = tmp_path / "run"
    args = ["demo", "--corpus", str(corpus), "--out", str(out), "--max-steps", "2"]
    args += ["--vocab-size", "300", "--max-seq-length", "32", "--batch-size", "4"]
    args += ["--query", "what do tomatoes need?", "--fill-mask", "Tomatoes need [MASK]."]
    assert main(args) == 0
    saved = json.loads((out / "demo.json").read_text())
    assert saved["search"][0]["query"] == "what do tomatoes need?"
    assert saved["fill_mask"][0]["text"] == "Tomatoes need [MASK]."
    assert "Tomatoes need sun" in (out / "corpus.txt").read_text()
