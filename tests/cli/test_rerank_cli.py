"""`bertkit finetune rerank` and `bertkit evaluate rerank` on hand-made rows: the printed
metrics, and a bad row as one error line naming its file and line."""

import json

import pytest

from bertkit.cli.main import main
from tests.tasks.conftest import make_tiny_model_dir
from tests.tasks.rerank.conftest import write_groups_jsonl


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-pretrained"))


def test_finetune_then_evaluate_rerank(tiny_model_dir, tmp_path, capsys):
    train = write_groups_jsonl(tmp_path / "train.jsonl", rows=16)
    out = tmp_path / "out"
    argv = ["finetune", "rerank", "--model", str(tiny_model_dir), "--train", str(train)]
    argv += ["--eval", str(train), "--out", str(out), "--epochs", "1", "--batch-size", "8"]
    assert main(argv + ["--device", "cpu", "--max-seq-length", "32"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"recall@1", "mrr@10", "ndcg@10"} <= set(printed) and printed["out"] == str(out)
    argv = ["evaluate", "rerank", "--model", str(out), "--data", str(train), "--device", "cpu"]
    assert main(argv + ["--out", str(tmp_path / "e.json")]) == 0
    scored = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scored["mrr@10"] == json.loads((tmp_path / "e.json").read_text())["mrr@10"]


def test_a_bad_row_is_one_error_line(tiny_model_dir, tmp_path, capsys):
    train = tmp_path / "bad.tsv"
    train.write_text("query\tpassage\tlabel\nwhat ?\tthe movie\t1\nwhat ?\tthe film\t3\n")
    argv = ["finetune", "rerank", "--model", str(tiny_model_dir), "--train", str(train)]
    assert main(argv + ["--out", str(tmp_path / "o"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {train}:3: label '3' in column 'label' is not 0 or 1"
