"""CLI output for people: text at a terminal, JSON lines with --json or when piped; one -k flag;
a wrong flag shows the command's own usage; expected facts stay out of the default log."""

import json
import logging
import re

import pytest

from bertkit import (
    BertForMaskedLM,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
)
from bertkit.cli import output
from bertkit.cli.main import build_parser, main
from bertkit.tokenizer import WordPieceTokenizer
from tests.pipelines.conftest import CONLL_LABELS, save_tiny_model

RANKED = re.compile(r"^\s+(\d+)\s+(-?\d+\.\d{3})\s+(\S.*)$")  # "   1   0.913  answer"


@pytest.fixture(scope="module")
def models(tmp_path_factory, minilm_dir) -> dict:
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    root = tmp_path_factory.mktemp("models")
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    return {
        "minilm": minilm_dir,
        "mlm": save_tiny_model(root / "mlm", BertForMaskedLM, tokenizer),
        "classify": save_tiny_model(
            root / "classify", BertForSequenceClassification, tokenizer, id2label=labels
        ),
        "ner": save_tiny_model(
            root / "ner",
            BertForTokenClassification,
            tokenizer,
            id2label=dict(enumerate(CONLL_LABELS)),
        ),
        "qa": save_tiny_model(root / "qa", BertForQuestionAnswering, tokenizer),
    }


@pytest.fixture
def terminal(monkeypatch):
    """Standard output is a terminal 72 columns wide."""
    monkeypatch.setattr(output, "is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "72")


def ranked(lines: list[str]) -> list[tuple[int, float, str]]:
    rows = [RANKED.match(line) for line in lines]
    assert all(rows), lines
    return [(int(m[1]), float(m[2]), m[3]) for m in rows if m]


def test_fill_mask_at_a_terminal_prints_the_text_then_the_ranked_tokens(models, terminal, capsys):
    text = "the cat sat on the [MASK] ."
    assert main(["fill-mask", "--model", str(models["mlm"]), "-k", "3", text]) == 0
    first, *rest = capsys.readouterr().out.splitlines()
    assert first == text
    rows = ranked(rest)
    assert [rank for rank, _, _ in rows] == [1, 2, 3]
    assert [score for _, score, _ in rows] == sorted((s for _, s, _ in rows), reverse=True)
    assert main(["fill-mask", "--model", str(models["mlm"]), "--top-k", "3", "--json", text]) == 0
    (predictions,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [token for _, _, token in rows] == [p["token"] for p in predictions]


def test_json_flag_and_a_pipe_keep_json_lines(models, monkeypatch, capsys):
    args = ["classify", "--model", str(models["classify"]), "-k", "2", "good", "bad"]
    assert main(args) == 0  # capsys' stdout is not a terminal
    piped = capsys.readouterr().out
    monkeypatch.setattr(output, "is_terminal", lambda: True)
    assert main([*args, "--json"]) == 0
    assert capsys.readouterr().out == piped
    rows = [json.loads(line) for line in piped.splitlines()]
    assert len(rows) == 2 and all(len(labels) == 2 for labels in rows)


def test_search_at_a_terminal_cuts_each_passage_to_one_line(models, terminal, tmp_path, capsys):
    long = "Serialize an object to JSON " + "and keep every field of it " * 20
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(f"{long}\nCopy a file.\nWait for a thread to end.\n")
    args = ["search", "--model", str(models["minilm"]), "--corpus", str(corpus), "-k", "2"]
    assert main([*args, "--no-cache", "object to json text", "join a thread"]) == 0
    blocks = capsys.readouterr().out.strip().split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == ["object to json text", "join a thread"]
    json_rows = ranked(blocks[0].splitlines()[1:])
    assert len(json_rows) == 2 and json_rows[0][2].startswith("Serialize an object to JSON")
    assert json_rows[0][2].endswith("…  (line 1)")
    assert all(len(line) <= 72 for block in blocks for line in block.splitlines())
    assert ranked(blocks[1].splitlines()[1:])[0][2] == "Wait for a thread to end.  (line 3)"


def test_classify_ner_qa_and_similarity_print_the_input_then_the_answers(models, terminal, capsys):
    text = "Angela Merkel visited Paris and met Emmanuel Macron."
    assert main(["classify", "--model", str(models["classify"]), "-k", "3", text]) == 0
    first, *rest = capsys.readouterr().out.splitlines()
    assert first == text
    assert {label for _, _, label in ranked(rest)} == {"negative", "neutral", "positive"}

    assert main(["ner", "--model", str(models["ner"]), text]) == 0
    first, *rest = capsys.readouterr().out.splitlines()
    assert first == text and rest  # entities, or "(no entities)"
    for line in rest:
        span = re.search(r"\((\d+)-(\d+)\)$", line)
        assert span or line.strip() == "(no entities)"
        if span:
            assert text[int(span[1]) : int(span[2])] in line

    assert main(["qa", "--model", str(models["qa"]), "--context", text, "Who visited Paris?"]) == 0
    first, answer = capsys.readouterr().out.splitlines()
    assert first == "Who visited Paris?"
    ((rank, _, shown),) = ranked([answer])
    assert rank == 1 and (shown == "(no answer)" or re.search(r"\(\d+-\d+\)$", shown))

    assert (
        main(["similarity", "--model", str(models["minilm"]), "A cat sleeps.", "A cat naps."]) == 0
    )
    (line,) = capsys.readouterr().out.splitlines()
    score, pair = line.split(maxsplit=1)
    assert 0.5 < float(score) <= 1 and pair == "A cat sleeps.  |  A cat naps."


@pytest.mark.parametrize("command", ["search", "fill-mask", "classify"])
def test_k_and_top_k_are_one_flag(command):
    parser = build_parser()
    base = [command, "--model", "m"] + (["--corpus", "c"] if command == "search" else [])
    assert parser.parse_args([*base, "-k", "7"]).top_k == 7
    assert parser.parse_args([*base, "--top-k", "7"]).top_k == 7


@pytest.mark.parametrize(
    "argv, usage",
    [
        (["fill-mask", "--model", "m", "--bogus", "x"], "usage: bertkit fill-mask"),
        (["search", "--corpus", "c", "--bogus"], "usage: bertkit search"),
        (
            ["finetune", "ner", "--model", "m", "--train", "t", "--eval", "e", "--out", "o", "-x"],
            "usage: bertkit finetune ner",
        ),
    ],
)
def test_a_wrong_flag_shows_the_commands_own_usage(argv, usage, capsys):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert f"unrecognized arguments: {argv[-2 if argv[-1] == 'x' else -1]}" in err


def test_an_unused_pooler_is_not_reported_at_the_default_log_level(models, caplog, capsys):
    args = ["similarity", "--model", str(models["minilm"]), "a", "b"]
    caplog.set_level(logging.INFO)
    assert main(args) == 0
    assert not [r for r in caplog.records if "ignored weights" in r.getMessage()]
    caplog.set_level(logging.DEBUG)
    assert main(args) == 0
    messages = [r.getMessage() for r in caplog.records if "ignored weights" in r.getMessage()]
    assert messages and "pooler.dense" in messages[0]
