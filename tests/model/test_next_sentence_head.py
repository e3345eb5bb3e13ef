"""BertForNextSentencePrediction: transformers' logits on the same weights, and loading the
next-sentence head out of a pretraining checkpoint (both directions of the weight and
architecture names)."""

import json

import pytest
import torch

from bertkit import BertForNextSentencePrediction, BertForPreTraining, BertkitError
from tests.model.tiny import tiny_config

transformers = pytest.importorskip("transformers")


def batch() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(1, 99, (3, 12), generator=g)
    types = torch.zeros_like(ids)
    types[:, 5:] = 1
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def test_logits_equal_transformers_on_a_pretraining_checkpoint(tmp_path):
    torch.manual_seed(0)
    BertForPreTraining(tiny_config(initializer_range=0.2)).save_pretrained(tmp_path)
    ours = BertForNextSentencePrediction.from_pretrained(tmp_path)
    theirs = transformers.BertForNextSentencePrediction.from_pretrained(tmp_path).eval()
    pretraining = BertForPreTraining.from_pretrained(tmp_path)
    inputs = batch()
    labels = torch.tensor([0, 1, 0])
    with torch.no_grad():
        a = ours(**inputs, labels=labels)
        b = theirs(**inputs, labels=labels)
        c = pretraining(**inputs)
    assert a.logits.shape == (3, 2)
    torch.testing.assert_close(a.logits, b.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.loss, b.loss, atol=1e-5, rtol=1e-5)
    # The head is the pretraining checkpoint's own, not a fresh one.
    torch.testing.assert_close(a.logits, c.seq_relationship_logits, atol=1e-6, rtol=0)


def test_saved_model_names_its_architecture_and_loads_in_transformers(tmp_path):
    torch.manual_seed(1)
    model = BertForNextSentencePrediction(tiny_config(initializer_range=0.2)).eval()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["BertForNextSentencePrediction"]
    theirs = transformers.BertForNextSentencePrediction.from_pretrained(tmp_path).eval()
    inputs = batch()
    with torch.no_grad():
        torch.testing.assert_close(
            model(**inputs).logits, theirs(**inputs).logits, atol=1e-5, rtol=1e-5
        )
    # ... and transformers' saved directory loads back into bertkit.
    theirs.save_pretrained(tmp_path / "hf")
    again = BertForNextSentencePrediction.from_pretrained(tmp_path / "hf")
    with torch.no_grad():
        torch.testing.assert_close(
            again(**inputs).logits, model(**inputs).logits, atol=1e-6, rtol=0
        )


def test_an_encoder_without_the_head_gets_a_fresh_head_logged(tmp_path, caplog):
    from bertkit import BertModel

    BertModel(tiny_config()).save_pretrained(tmp_path)
    with caplog.at_level("WARNING"):
        BertForNextSentencePrediction.from_pretrained(tmp_path)
    assert "nsp.linear.weight" in caplog.text


def test_a_checkpoint_of_another_size_is_one_error(tmp_path):
    BertForPreTraining(tiny_config(hidden_size=64)).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["hidden_size"] = 32
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BertkitError):
        BertForNextSentencePrediction.from_pretrained(tmp_path)
