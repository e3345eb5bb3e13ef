"""Fuzzing model loading: config.json, safetensors headers, truncated or damaged weight files,
the sharded index and a sentence-transformers modules.json.

Each damaged folder gives a model or one BertkitError naming the file; never another exception.
"""

import json
import struct

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bertkit import BertModel
from bertkit.errors import BertkitError
from tests.fuzzing import FUZZ, check, encoded, json_values, scratch
from tests.model.tiny import tiny_config


class Saved:
    """A tiny saved model: its config.json as a dict and its model.safetensors bytes."""

    def __init__(self, path):
        BertModel(tiny_config()).save_pretrained(path)
        self.config = json.loads((path / "config.json").read_text())
        self.weights = (path / "model.safetensors").read_bytes()

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing case
        return "Saved(tiny model)"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return Saved(tmp_path_factory.mktemp("tiny"))


def folder(config: bytes, weights: bytes):
    directory = scratch("")
    (directory / "config.json").write_bytes(config)
    (directory / "model.safetensors").write_bytes(weights)
    return directory


def load(directory):
    return BertModel.from_pretrained(directory)


# Shape fields small or enormous: a config.json asking for a billion-row embedding must be refused
# from the weights' shapes before anything that large is allocated.
small = st.integers(-3, 200) | st.sampled_from([10**6, 10**9, 10**12])
field_values = small | json_values


@FUZZ
@given(
    edits=st.dictionaries(
        st.sampled_from(["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                         "intermediate_size", "hidden_act", "max_position_embeddings",
                         "type_vocab_size", "layer_norm_eps", "hidden_dropout_prob", "id2label",
                         "num_labels", "pad_token_id", "model_type", "position_embedding_type"]),
        field_values | st.just(None),
        max_size=4,
    ),
    raw=st.none() | encoded(),
)  # fmt: skip
# Found by the 10,000-case campaign: a hidden_size of 10^9 overflowed torch's size arithmetic
# while the shapes were being checked.
@example(edits={"hidden_size": 10**9}, raw=None)
def test_config_json_with_any_fields_or_bytes(saved, edits, raw):
    config, weights = saved.config, saved.weights
    edited = {k: v for k, v in {**config, **edits}.items() if v is not None}
    directory = folder(raw if raw is not None else json.dumps(edited).encode(), weights)
    check("config.json", load, directory, names=(str(directory),))


@pytest.mark.parametrize(
    "field",
    ["vocab_size", "num_hidden_layers", "max_position_embeddings", "intermediate_size",
     "hidden_size"],
)  # fmt: skip
def test_enormous_shapes_in_config_json_are_refused_without_allocating(saved, field):
    # 10^12 rows of the tiny model's width is terabytes: had the model been built before the
    # weights' shapes were checked, this would be torch's allocation error, not ours.
    config = {**saved.config, field: 10**12}
    directory = folder(json.dumps(config).encode(), saved.weights)
    with pytest.raises(BertkitError) as caught:
        load(directory)
    assert "\n" not in str(caught.value) and str(directory) in str(caught.value)


@FUZZ
@given(
    cut=st.integers(0, 10**6),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
)
def test_truncated_or_flipped_weight_files(saved, cut, flips):
    config, weights = saved.config, saved.weights
    data = bytearray(weights[: cut % (len(weights) + 1)])
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    directory = folder(json.dumps(config).encode(), bytes(data))
    check("model.safetensors bytes", load, directory, names=(str(directory),))


# A safetensors file is an 8-byte little-endian header length, a JSON header, then the data.
tensor_entry = st.fixed_dictionaries(
    {},
    optional={
        "dtype": st.sampled_from(["F32", "F16", "BF16", "I64", "U8", "BOOL", "X"]) | json_values,
        "shape": st.lists(st.integers(-2, 64), max_size=3) | json_values,
        "data_offsets": st.lists(st.integers(-2, 4096), max_size=3) | json_values,
    },
)
header = st.dictionaries(
    st.sampled_from(["embeddings.word_embeddings.weight", "__metadata__", "x"]),
    tensor_entry | json_values,
    max_size=3,
)


@FUZZ
@given(header=header, length_delta=st.integers(-10, 10), body=st.binary(max_size=512))
# The campaign's one finding: the safetensors parser quotes an unknown dtype raw, line break and
# all, and the error line it went into was split in two.
@example(
    header={"embeddings.word_embeddings.weight": {"dtype": "a\nb", "shape": [1]}},
    length_delta=0,
    body=b"0000",
)
def test_safetensors_headers(saved, header, length_delta, body):
    config = saved.config
    text = json.dumps(header).encode()
    weights = struct.pack("<Q", max(0, len(text) + length_delta)) + text + body
    directory = folder(json.dumps(config).encode(), weights)
    check("safetensors header", load, directory, names=(str(directory),))


@FUZZ
@given(index=json_values | st.fixed_dictionaries({"weight_map": json_values}), raw=st.booleans())
def test_sharded_index(saved, index, raw):
    config, weights = saved.config, saved.weights
    directory = scratch("")
    (directory / "config.json").write_text(json.dumps(config))
    (directory / "part-1.safetensors").write_bytes(weights)
    text = json.dumps(index).encode()
    (directory / "model.safetensors.index.json").write_bytes(
        text[: len(text) // 2] if raw else text
    )
    check("model.safetensors.index.json", load, directory, names=(str(directory),))


@FUZZ
@given(
    modules=json_values
    | st.lists(
        st.fixed_dictionaries({}, optional={"type": json_values, "path": json_values}), max_size=3
    )
)
def test_sentence_transformers_modules_json(saved, modules):
    config, weights = saved.config, saved.weights
    directory = folder(json.dumps(config).encode(), weights)
    (directory / "modules.json").write_text(json.dumps(modules))
    check("modules.json", load, directory, names=(str(directory),))
