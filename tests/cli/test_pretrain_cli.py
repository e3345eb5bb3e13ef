"""`bertkit prepare-pretraining` then `bertkit pretrain` for 3 steps on a synthetic corpus."""

import json

import pytest
import torch

from bertkit import BertForPreTraining
from bertkit.cli.main import main
from tests.data.synthetic import write_corpus, write_vocab
from tests.train.conftest import write_model_config


def test_prepare_then_pretrain_gives_a_model_directory_transformers_loads(tmp_path, capsys):
    vocab_dir = write_vocab(tmp_path / "vocab").parent
    corpus = write_corpus(tmp_path / "corpus.txt", num_docs=30)
    data, run = tmp_path / "data", tmp_path / "run"
    prepare = ["prepare-pretraining", "--corpus", str(corpus), "--vocab-from", str(vocab_dir)]
    prepare += ["--out", str(data), "--max-seq-length", "32", "--seed", "1", "--workers", "2"]
    assert main([*prepare, "--eval-fraction", "0.1", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["documents"] == 30 and summary["train_instances"] > 0

    config = write_model_config(tmp_path / "tiny" / "config.json")
    pretrain = ["pretrain", "--data", str(data), "--config", str(config), "--out", str(run)]
    pretrain += ["--max-steps", "3", "--batch-size", "4", "--lr", "1e-3", "--save-every", "2"]
    assert main([*pretrain, "--log-every", "1", "--no-progress"]) == 0

    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["split"] == "train"] == [1, 2, 3]
    assert {"loss", "mlm_loss", "nsp_loss", "mlm_acc", "nsp_acc", "lr", "tokens_per_s"} <= set(
        records[0]
    )
    assert any(r["split"] == "eval" for r in records)
    assert (run / "loss.png").exists()
    assert json.loads((run / "config.json").read_text())["train"]["max_steps"] == 3
    model_dir = run / "model"
    for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"):
        assert (model_dir / name).exists(), name

    transformers = pytest.importorskip("transformers")
    theirs = transformers.BertForPreTraining.from_pretrained(model_dir).eval()
    ours = BertForPreTraining.from_pretrained(model_dir).eval()
    input_ids = torch.randint(5, 89, (2, 12), generator=torch.Generator().manual_seed(0))
    token_type_ids = torch.tensor([[0] * 6 + [1] * 6] * 2)
    with torch.no_grad():
        a = ours(input_ids, token_type_ids)
        b = theirs(input_ids=input_ids, token_type_ids=token_type_ids)
    torch.testing.assert_close(a.prediction_logits, b.prediction_logits, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        a.seq_relationship_logits, b.seq_relationship_logits, rtol=1e-4, atol=1e-5
    )


def test_a_missing_data_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["pretrain", "--data", str(tmp_path / "nope"), "--config", "tiny", "--out",
                 str(tmp_path / "run")]) == 2  # fmt: skip
    assert "prepare-pretraining" in capsys.readouterr().err


def test_mlm_only_recipe_from_the_command_line(tmp_path, capsys):
    vocab_dir = write_vocab(tmp_path / "vocab").parent
    corpus = write_corpus(tmp_path / "corpus.txt", num_docs=30)
    data, run = tmp_path / "data", tmp_path / "run"
    prepare = ["prepare-pretraining", "--corpus", str(corpus), "--vocab-from", str(vocab_dir)]
    prepare += ["--out", str(data), "--max-seq-length", "32", "--no-nsp", "--no-progress"]
    assert main([*prepare, "--eval-fraction", "0.1"]) == 0
    assert json.loads(capsys.readouterr().out)["random_next_fraction"] is None

    config = write_model_config(tmp_path / "tiny" / "config.json")
    pretrain = ["pretrain", "--data", str(data), "--config", str(config), "--out", str(run)]
    pretrain += ["--max-steps", "2", "--batch-size", "4", "--objective", "mlm"]
    assert main([*pretrain, "--mlm-probability", "0.3", "--log-every", "1", "--no-progress"]) == 0
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert "mlm_acc" in records[0] and not any("nsp_loss" in r for r in records)
    saved = json.loads((run / "config.json").read_text())["pretrain"]
    assert saved["objective"] == "mlm" and saved["mlm_probability"] == 0.3


def test_prepare_takes_the_vocabulary_of_a_sentence_transformers_directory(tmp_path, capsys):
    model = tmp_path / "st-model"
    write_vocab(model / "0_Transformer")
    modules = [{"idx": 0, "name": "0", "path": "0_Transformer",
                "type": "sentence_transformers.models.Transformer"}]  # fmt: skip
    (model / "modules.json").write_text(json.dumps(modules))
    corpus = write_corpus(tmp_path / "corpus.txt", num_docs=10)
    args = ["prepare-pretraining", "--corpus", str(corpus), "--vocab-from", str(model)]
    assert main([*args, "--out", str(tmp_path / "data"), "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["train_instances"] > 0
    vocab = (tmp_path / "data" / "vocab.txt").read_text()
    assert vocab == (model / "0_Transformer" / "vocab.txt").read_text()
