"""`bertkit finetune` and `bertkit evaluate` on a tiny model: the commands, eval.json, bad input."""

import json

import pytest

from bertkit.cli.main import main
from tests.tasks.conftest import make_tiny_model_dir, write_conll, write_sentiment_tsv


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-pretrained"))


def test_finetune_then_evaluate_classify(tiny_model_dir, tmp_path, capsys):
    data = write_sentiment_tsv(tmp_path / "train.tsv")
    out = tmp_path / "out"
    common = ["--model", str(tiny_model_dir), "--train", str(data), "--eval", str(data)]
    options = ["--epochs", "1", "--batch-size", "8", "--seed", "3", "--max-seq-length", "32"]
    code = main(["finetune", "classify", *common, "--out", str(out), *options, "--device", "cpu"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"accuracy", "f1", "mcc"} <= set(printed)
    config = json.loads((out / "eval.json").read_text())["config"]
    assert config["seed"] == 3 and config["max_seq_length"] == 32
    report = tmp_path / "report.json"
    assert (
        main(
            ["evaluate", "classify", "--model", str(out), "--data", str(data), "--out", str(report)]
        )
        == 0
    )
    assert json.loads(report.read_text())["accuracy"] == printed["accuracy"]
    assert main(["evaluate", "classify", "--model", str(out), "--data", str(data)]) == 0
    assert (out / "eval.json").exists()


def test_finetune_ner_from_the_command_line(tiny_model_dir, tmp_path, capsys):
    conll = write_conll(tmp_path / "c.txt")
    args = ["finetune", "ner", "--model", str(tiny_model_dir), "--train", str(conll),
            "--eval", str(conll), "--out", str(tmp_path / "o"), "--epochs", "1"]  # fmt: skip
    assert main(args) == 0
    assert {"precision", "recall", "f1"} <= set(
        json.loads(capsys.readouterr().out.splitlines()[-1])
    )


def test_bad_input_is_one_line_naming_file_and_line(tiny_model_dir, tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("text\tlabel\n")
    code = main(["finetune", "classify", "--model", str(tiny_model_dir), "--train", str(bad),
                 "--eval", str(bad), "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {bad}:1: empty file (a header and at least one row are needed)"
