import json

from bertkit import BertForSequenceClassification, BertModel
from bertkit.cli.main import main
from tests.model.tiny import tiny_config


def test_inspect_reports_sizes_heads_and_labels(tmp_path, capsys):
    model = BertForSequenceClassification(tiny_config(id2label={0: "neg", 1: "pos"}))
    model.save_pretrained(tmp_path)
    (tmp_path / "vocab.txt").write_text("\n".join(f"w{i}" for i in range(99)) + "\n")
    assert main(["inspect", str(tmp_path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["architecture"] == "BertForSequenceClassification"
    assert info["parameters"] == model.num_parameters()
    assert info["heads"] == ["pooler", "classifier"]
    assert info["labels"] == ["neg", "pos"]
    assert info["vocab_size"] == info["vocab_file_entries"] == 99


def test_inspect_prints_a_table(tmp_path, capsys):
    BertModel(tiny_config()).save_pretrained(tmp_path)
    assert main(["inspect", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "parameters" in out and f"{BertModel(tiny_config()).num_parameters():,}" in out


def test_inspect_of_a_missing_directory_is_one_line(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {tmp_path / 'missing'}: no such model directory"


def test_inspect_of_the_real_minilm(minilm_dir, capsys):
    assert main(["inspect", str(minilm_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["parameters"] == 22_713_216
    assert info["pooling"] == {"mode": "mean", "normalize": True}
