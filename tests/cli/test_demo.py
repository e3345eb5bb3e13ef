"""`make demo` at a tiny scale: every step runs and leaves its output where it says; the built-in
corpus is deterministic prose from docstrings."""

import json
import logging

import pytest
import torch

from bertkit.cli.main import main
from bertkit.demo.corpus import corpus_text, module_docstrings, stdlib_documents
from bertkit.demo.fill_mask import Answer, FillMaskRow, describe, hits
from bertkit.demo.run import ADAPTED, SCRATCH, DemoConfig, demo_precision, run_demo
from bertkit.errors import BertkitError
from bertkit.train.device import cpu_has_native_bf16

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
    for name in ("corpus.txt", "passages.txt", "scratch/tokenizer/vocab.txt", "demo.json"):
        assert (out / name).exists(), name
    for run in ("scratch", "adapted"):
        for name in ("data/index.json", "pretrain/model/config.json", "pretrain/loss.png"):
            assert (out / run / name).exists(), f"{run}/{name}"
    assert (out / "adapted" / "head" / "model" / "model.safetensors").exists()  # LP, then FT
    assert len((out / "passages.txt").read_text().splitlines()) == 120
    assert [row["expected"] for row in result.fill_mask][:2] == ["list", "exist"]
    for row in result.fill_mask:
        assert set(row["answers"]) == {SCRATCH, ADAPTED}
        assert all(len(answers) == 3 for answers in row["answers"].values())
    assert len(result.search) == 5 and all(len(row["hits"]) == 3 for row in result.search)
    # the adapted model keeps MiniLM's vocabulary; the one from scratch has its own
    adapted = (out / "adapted" / "pretrain" / "model" / "vocab.txt").read_text().splitlines()
    assert (
        len(adapted) == 30522
        and len((out / "scratch/tokenizer/vocab.txt").read_text().split()) <= 600
    )
    for name in (SCRATCH, ADAPTED):
        numbers = result.pretrained[name]
        assert numbers["steps"] == 3 and 0 <= numbers["held_out"]["mlm_acc"] <= 1
        assert 0 < numbers["most_frequent_acc"] < 1
        assert "held-out MLM accuracy" in caplog.text
    assert len(result.pretrained) == 3  # from scratch, MiniLM's head alone, MiniLM continued
    saved = json.loads((out / "demo.json").read_text())
    steps = ("corpus", "scratch", "adapted", "fill_mask", "search")
    assert set(saved["seconds"]) == set(steps)
    for step in steps:
        assert f"-> {saved['outputs'][step]}" in caplog.text  # each step says where output went
    assert "(expected: list)" in caplog.text and "of 5 sentences" in caplog.text


def test_fill_mask_rows_show_the_expected_word_top_k_and_whether_it_hit():
    row = FillMaskRow(
        "The default [MASK] is None.",
        "value",
        {"a": [Answer("value", 0.5), Answer("name", 0.2)], "b": [Answer("of", 0.1)]},
    )
    text = describe([row])
    assert "The default [MASK] is None.   (expected: value)" in text
    assert "a  value 0.50 | name 0.20   [hit, rank 1]" in text
    assert "b  of 0.10   [miss]" in text
    assert hits([row], "a") == (1, 1) and hits([row], "b") == (0, 1)


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
    assert saved["fill_mask"][0]["expected"] is None  # the user's own sentence: nothing to judge
    assert "Tomatoes need sun" in (out / "corpus.txt").read_text()


def test_the_demo_trains_minilm_in_bf16_only_where_the_cpu_has_it():
    native = cpu_has_native_bf16() and not torch.cuda.is_available()
    assert demo_precision("auto") == ("bf16" if native else "auto")
    assert demo_precision("fp32") == "fp32"
    assert demo_precision("bf16") == "bf16"


def test_the_demo_command_twice_starts_over_and_succeeds_both_times(tmp_path, minilm_dir, caplog):
    caplog.set_level(logging.INFO)
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--max-documents", "60", "--max-steps", "2"]
    args += ["--vocab-size", "400", "--max-seq-length", "32", "--batch-size", "4", "--top-k", "2"]
    assert main(args) == 0
    first = json.loads((out / "demo.json").read_text())
    (out / "scratch" / "stale.txt").write_text("left by the first run")
    caplog.clear()
    assert main(args) == 0  # pretrain alone would refuse: runs/demo/.../pretrain has checkpoints
    assert "holds an earlier demo: starting over" in caplog.text
    second = json.loads((out / "demo.json").read_text())
    assert not (out / "scratch" / "stale.txt").exists()
    assert set(second["outputs"]) == set(first["outputs"])
    assert [r["expected"] for r in second["fill_mask"]] == [
        r["expected"] for r in first["fill_mask"]
    ]
    assert all(run["steps"] == 2 for run in second["pretrained"].values())
    assert second["fill_mask"] == first["fill_mask"]  # fixed steps and seeds: the same answers


def test_the_demo_refuses_a_folder_that_holds_something_else(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("not the demo's")
    with pytest.raises(BertkitError, match="holds no earlier demo"):
        run_demo(DemoConfig(out=str(out), max_steps=1))
    assert (out / "notes.txt").read_text() == "not the demo's"
