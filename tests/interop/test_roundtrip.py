import logging

import pytest
import torch

from bertkit import (
    BertForPreTraining,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
)
from bertkit.interop.hf import from_hf, to_hf
from tests.model.tiny import tiny_config


def test_state_dict_round_trip_through_hugging_face_names_is_exact():
    model = BertForPreTraining(tiny_config())
    ours = model.state_dict()
    hf = to_hf(ours)
    assert "bert.encoder.layer.1.attention.self.value.weight" in hf
    assert "cls.predictions.transform.LayerNorm.weight" in hf
    back, unknown = from_hf(hf)
    assert unknown == []
    assert back.keys() == ours.keys()
    for key in ours:
        assert torch.equal(back[key], ours[key]), key


@pytest.mark.parametrize("cls", [BertModel, BertForPreTraining, BertForSequenceClassification])
def test_directory_round_trip_is_bit_identical(cls, tmp_path):
    model = cls(tiny_config(id2label={0: "neg", 1: "pos"}))
    model.save_pretrained(tmp_path / "a")
    loaded = cls.from_pretrained(tmp_path / "a")
    loaded.save_pretrained(tmp_path / "b")
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert loaded.config == model.config
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (
        tmp_path / "b" / "model.safetensors"
    ).read_bytes()


def test_a_fresh_head_on_a_pretrained_encoder_is_initialised_and_reported(tmp_path, caplog):
    encoder = BertModel(tiny_config())
    encoder.save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING):
        model = BertForTokenClassification.from_pretrained(tmp_path, num_labels=7)
    assert model.classifier.out_features == 7
    torch.testing.assert_close(
        model.bert.embeddings.tok_emb.weight, encoder.embeddings.tok_emb.weight
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "classifier.weight" in warnings[0]


def test_heads_the_model_lacks_are_dropped_from_a_pretraining_checkpoint(tmp_path):
    full = BertForPreTraining(tiny_config())
    full.save_pretrained(tmp_path)
    encoder = BertModel.from_pretrained(tmp_path)
    torch.testing.assert_close(
        encoder.pooler.dense.weight, full.bert.pooler.dense.weight, atol=0, rtol=0
    )


def test_checkpoints_with_and_without_the_bert_prefix_load(tmp_path):
    from safetensors.torch import load_file, save_file

    source = BertForSequenceClassification(tiny_config())
    source.save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    stripped = {k.removeprefix("bert."): v for k, v in tensors.items()}
    save_file(stripped, tmp_path / "model.safetensors")
    loaded = BertForSequenceClassification.from_pretrained(tmp_path)
    for key, value in source.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_pytorch_bin_and_legacy_layernorm_names_load(tmp_path):
    source = BertModel(tiny_config())
    source.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    legacy = {}
    for key, value in to_hf(source.state_dict()).items():
        key = key.replace("LayerNorm.weight", "LayerNorm.gamma")
        legacy[key.replace("LayerNorm.bias", "LayerNorm.beta")] = value
    torch.save(legacy, tmp_path / "pytorch_model.bin")
    loaded = BertModel.from_pretrained(tmp_path)
    for key, value in source.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
