"""Each broken model directory gives one BertkitError line that names the culprit."""

import json

import pytest

from bertkit import BertForSequenceClassification, BertkitError, BertModel
from tests.model.tiny import tiny_config


@pytest.fixture
def saved(tmp_path):
    BertModel(tiny_config()).save_pretrained(tmp_path)
    return tmp_path


def edit_config(path, **changes):
    data = json.loads((path / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    (path / "config.json").write_text(json.dumps(data))


def test_missing_directory(tmp_path):
    with pytest.raises(BertkitError, match="no such model directory"):
        BertModel.from_pretrained(tmp_path / "nope")


def test_truncated_weights_file(saved):
    weights = saved / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(BertkitError, match=r"model.safetensors: corrupt or truncated"):
        BertModel.from_pretrained(saved)


def test_missing_weights_file(saved):
    (saved / "model.safetensors").unlink()
    with pytest.raises(BertkitError, match="no model.safetensors or pytorch_model.bin"):
        BertModel.from_pretrained(saved)


def test_config_with_a_missing_field(saved):
    edit_config(saved, hidden_size=None)
    with pytest.raises(BertkitError, match=r"config.json: missing field 'hidden_size'"):
        BertModel.from_pretrained(saved)


def test_config_with_a_mistyped_field(saved):
    edit_config(saved, num_hidden_layers="two")
    with pytest.raises(BertkitError, match=r"config.json: num_hidden_layers must be int"):
        BertModel.from_pretrained(saved)


def test_config_that_is_not_json(saved):
    (saved / "config.json").write_text("{ not json")
    with pytest.raises(BertkitError, match=r"config.json: not valid JSON"):
        BertModel.from_pretrained(saved)


def test_checkpoint_of_another_size_fewer_layers(saved):
    edit_config(saved, num_hidden_layers=3)
    with pytest.raises(BertkitError, match=r"num_hidden_layers is 3 but model.safetensors holds 2"):
        BertModel.from_pretrained(saved)


def test_checkpoint_of_another_size_more_layers(saved):
    edit_config(saved, num_hidden_layers=1)
    with pytest.raises(BertkitError, match=r"num_hidden_layers is 1 but model.safetensors holds 2"):
        BertModel.from_pretrained(saved)


def test_checkpoint_of_another_width(saved):
    edit_config(saved, intermediate_size=40)
    with pytest.raises(BertkitError, match=r"shape mismatch .* encoder.layers.0.ffn.ffn_in.weight"):
        BertModel.from_pretrained(saved)


def test_classifier_with_another_number_of_labels(tmp_path):
    BertForSequenceClassification(tiny_config(num_labels=2)).save_pretrained(tmp_path)
    with pytest.raises(BertkitError, match=r"classifier.weight \(2, 32\) vs \(5, 32\)"):
        BertForSequenceClassification.from_pretrained(tmp_path, num_labels=5)


def test_another_model_type(saved):
    edit_config(saved, model_type="roberta")
    with pytest.raises(BertkitError, match="model_type is 'roberta'"):
        BertModel.from_pretrained(saved)
