import pytest
import torch

from bertkit import BertConfig, BertModel
from bertkit.model.config import ConfigError, preset


@pytest.mark.parametrize(
    "name, layers, hidden, heads",
    [
        ("tiny", 2, 128, 2),
        ("mini", 4, 256, 4),
        ("small", 4, 512, 8),
        ("medium", 8, 512, 8),
        ("base", 12, 768, 12),
        ("large", 24, 1024, 16),
    ],
)
def test_presets_have_the_published_sizes(name, layers, hidden, heads):
    config = preset(name)
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads) == (
        layers,
        hidden,
        heads,
    )
    assert config.intermediate_size == 4 * hidden


@pytest.mark.parametrize("name, count", [("base", 109_482_240), ("large", 335_141_888)])
def test_parameter_counts_equal_the_reference(name, count):
    with torch.device("meta"):  # count without allocating 1.3 GB
        model = BertModel(preset(name))
    assert model.num_parameters() == count


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"hidden_size": "768"}, "hidden_size must be int"),
        ({"hidden_size": 100}, "multiple of num_attention_heads"),
        ({"num_hidden_layers": 0}, "num_hidden_layers must be positive"),
        ({"hidden_act": "swish2"}, "hidden_act must be one of"),
        ({"hidden_dropout_prob": 1.5}, "hidden_dropout_prob must be in"),
        ({"num_labels": True}, "num_labels must be int"),
        ({"id2label": {0: "a", 2: "b"}}, "id2label keys must be 0..n-1"),
        ({"problem_type": "ranking"}, "problem_type must be one of"),
    ],
)
def test_bad_config_values_give_a_readable_error(fields, message):
    with pytest.raises(ConfigError, match=message):
        BertConfig(**fields)


def test_labels_fix_the_number_of_outputs():
    config = BertConfig(id2label={"0": "negative", "1": "neutral", "2": "positive"})
    assert config.num_labels == 3
    assert config.label2id == {"negative": 0, "neutral": 1, "positive": 2}
    assert BertConfig(num_labels=4).id2label == {i: f"LABEL_{i}" for i in range(4)}


def test_unknown_preset_names_the_choices():
    with pytest.raises(ConfigError, match="tiny, mini"):
        preset("huge")
