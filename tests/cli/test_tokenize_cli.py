"""`bertkit tokenize` and `bertkit train-vocab`: JSON lines out, a tokenizer directory out, and
one-line errors (exit status 2) for bad input."""

import json

import pytest

from bertkit.cli.main import main
from bertkit.tokenizer import WordPieceTokenizer

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture
def model_dir(tmp_path):
    tok = WordPieceTokenizer(SPECIALS + ["hello", "world", "!", "un", "##aff", "##able", "a", "b"])
    tok.save_pretrained(tmp_path / "model")
    return tmp_path / "model"


def _json_lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_tokenize_prints_one_json_line_per_text(model_dir, capsys):
    assert main(["tokenize", "--model", str(model_dir), "Hello world!", "unaffable"]) == 0
    first, second = _json_lines(capsys)
    assert first["tokens"] == ["[CLS]", "hello", "world", "!", "[SEP]"]
    assert first["input_ids"] == [2, 5, 6, 7, 3]
    assert first["token_type_ids"] == [0] * 5
    assert first["offsets"] == [[0, 0], [0, 5], [6, 11], [11, 12], [0, 0]]
    assert second["tokens"] == ["[CLS]", "un", "##aff", "##able", "[SEP]"]


def test_tokenize_reads_pairs_from_a_file_and_truncates_only_when_asked(
    model_dir, tmp_path, capsys
):
    text = tmp_path / "pairs.tsv"
    text.write_text("hello world\ta b a b a b\nhello\tworld\n", encoding="utf-8")
    assert main(["tokenize", "--model", str(model_dir), "--input", str(text), "--pair"]) == 0
    long, short = _json_lines(capsys)
    assert long["token_type_ids"] == [0, 0, 0, 0] + [1] * 7
    assert short["tokens"] == ["[CLS]", "hello", "[SEP]", "world", "[SEP]"]
    argv = ["tokenize", "--model", str(model_dir), "--input", str(text), "--pair"]
    assert main([*argv, "--max-length", "8", "--truncation", "only_second"]) == 0
    assert [len(r["input_ids"]) for r in _json_lines(capsys)] == [8, 5]
    assert main([*argv, "--max-length", "8", "--truncation", "only_second", "--stride", "1"]) == 0
    windows = _json_lines(capsys)
    assert [w["sample"] for w in windows] == [0, 0, 0, 1]


def test_tokenize_errors_name_the_file_and_line(model_dir, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\n\xc3\x28 broken\n")
    assert main(["tokenize", "--model", str(model_dir), "--input", str(bad)]) == 2
    assert "bad.txt:2: not UTF-8" in capsys.readouterr().err
    no_tab = tmp_path / "no_tab.txt"
    no_tab.write_text("a\tb\njust one\n", encoding="utf-8")
    assert main(["tokenize", "--model", str(model_dir), "--input", str(no_tab), "--pair"]) == 2
    assert "no_tab.txt:2: expected two texts separated by a tab" in capsys.readouterr().err
    assert main(["tokenize", "--model", str(tmp_path / "missing"), "x"]) == 2
    assert "missing: no such file or directory" in capsys.readouterr().err


def test_train_vocab_writes_a_loadable_tokenizer_directory(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The cat sat on the mat.\nThe cats sat on the mats!\n" * 10, encoding="utf-8")
    out = tmp_path / "tok"
    argv = ["train-vocab", "--corpus", str(corpus), "--vocab-size", "40", "--out", str(out)]
    assert main([*argv, "--uncased", "--no-progress"]) == 0
    assert "wrote" in capsys.readouterr().out
    tok = WordPieceTokenizer.from_pretrained(out)
    assert tok.do_lower_case and len(tok) <= 40
    assert tok.convert_ids_to_tokens(list(range(5))) == SPECIALS
    assert tok.unk_token_id not in tok.encode("the cats sat").input_ids
    assert main(["train-vocab", "--corpus", str(tmp_path / "nope.txt"), "--vocab-size", "40",
                 "--out", str(out), "--no-progress"]) == 2  # fmt: skip
    assert "nope.txt: no such file" in capsys.readouterr().err
