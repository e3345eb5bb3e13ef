"""One declarative map between bertkit's weight names and Hugging Face's `modeling_bert.py` names.

Our attention keeps queries, keys and values in one fused `qkv` matrix; Hugging Face keeps three,
so that is the one tensor transform (concatenate on load, split on save). Encoder keys of head
models carry a `bert.` prefix in both namings. Keys of the pretraining heads live under `cls.`.
"""

import re

import torch

from bertkit.model.config import BertConfig

# Our name -> Hugging Face name, relative to the encoder (`BertModel`). `{i}` is the layer index.
ENCODER_KEYS = {
    "embeddings.tok_emb.weight": "embeddings.word_embeddings.weight",
    "embeddings.pos_emb.weight": "embeddings.position_embeddings.weight",
    "embeddings.seg_emb.weight": "embeddings.token_type_embeddings.weight",
    "embeddings.norm.weight": "embeddings.LayerNorm.weight",
    "embeddings.norm.bias": "embeddings.LayerNorm.bias",
    "encoder.layers.{i}.attn.out.weight": "encoder.layer.{i}.attention.output.dense.weight",
    "encoder.layers.{i}.attn.out.bias": "encoder.layer.{i}.attention.output.dense.bias",
    "encoder.layers.{i}.attn_norm.weight": "encoder.layer.{i}.attention.output.LayerNorm.weight",
    "encoder.layers.{i}.attn_norm.bias": "encoder.layer.{i}.attention.output.LayerNorm.bias",
    "encoder.layers.{i}.ffn.ffn_in.weight": "encoder.layer.{i}.intermediate.dense.weight",
    "encoder.layers.{i}.ffn.ffn_in.bias": "encoder.layer.{i}.intermediate.dense.bias",
    "encoder.layers.{i}.ffn.ffn_out.weight": "encoder.layer.{i}.output.dense.weight",
    "encoder.layers.{i}.ffn.ffn_out.bias": "encoder.layer.{i}.output.dense.bias",
    "encoder.layers.{i}.ffn_norm.weight": "encoder.layer.{i}.output.LayerNorm.weight",
    "encoder.layers.{i}.ffn_norm.bias": "encoder.layer.{i}.output.LayerNorm.bias",
    "pooler.dense.weight": "pooler.dense.weight",
    "pooler.dense.bias": "pooler.dense.bias",
}

# Fused on our side, three tensors on theirs (concatenated in this order along dim 0).
QKV_KEYS = {
    "encoder.layers.{i}.attn.qkv.{p}": [
        "encoder.layer.{i}.attention.self.query.{p}",
        "encoder.layer.{i}.attention.self.key.{p}",
        "encoder.layer.{i}.attention.self.value.{p}",
    ],
}

# Head keys, relative to the head model (never prefixed).
HEAD_KEYS = {
    "mlm.dense.weight": "cls.predictions.transform.dense.weight",
    "mlm.dense.bias": "cls.predictions.transform.dense.bias",
    "mlm.norm.weight": "cls.predictions.transform.LayerNorm.weight",
    "mlm.norm.bias": "cls.predictions.transform.LayerNorm.bias",
    "mlm.bias": "cls.predictions.bias",
    "nsp.linear.weight": "cls.seq_relationship.weight",
    "nsp.linear.bias": "cls.seq_relationship.bias",
    "classifier.weight": "classifier.weight",
    "classifier.bias": "classifier.bias",
    "qa.weight": "qa_outputs.weight",
    "qa.bias": "qa_outputs.bias",
}

# Hugging Face keys that carry no information of their own: buffers, and the MLM decoder, which is
# tied to the word embeddings (its bias is `cls.predictions.bias` again).
DERIVED_HF_KEYS = re.compile(
    r"(bert\.)?embeddings\.position_ids|(bert\.)?embeddings\.token_type_ids"
    r"|cls\.predictions\.decoder\.(weight|bias)"
)

# Old TensorFlow-converted checkpoints name LayerNorm parameters gamma/beta.
LEGACY_SUFFIXES = {".gamma": ".weight", ".beta": ".bias"}


def _pattern(template: str) -> re.Pattern:
    escaped = re.escape(template).replace(r"\{i\}", r"(?P<i>\d+)").replace(r"\{p\}", r"(?P<p>\w+)")
    return re.compile(escaped)


_TO_HF = [(_pattern(ours), theirs) for ours, theirs in {**ENCODER_KEYS, **HEAD_KEYS}.items()]
_FROM_HF = [(_pattern(theirs), ours) for ours, theirs in {**ENCODER_KEYS, **HEAD_KEYS}.items()]
_QKV_TO_HF = [(_pattern(ours), theirs) for ours, theirs in QKV_KEYS.items()]
_QKV_FROM_HF = [(_pattern(theirs[0]), ours, theirs) for ours, theirs in QKV_KEYS.items()]


def _split_prefix(key: str) -> tuple[str, str]:
    return ("bert.", key[5:]) if key.startswith("bert.") else ("", key)


def to_hf(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Our state dict -> Hugging Face names (qkv split into query, key, value)."""
    out = {}
    for key, tensor in state_dict.items():
        prefix, rest = _split_prefix(key)
        for pattern, template in _QKV_TO_HF:
            if m := pattern.fullmatch(rest):
                for name, part in zip(template, tensor.chunk(3, dim=0), strict=True):
                    out[prefix + name.format(**m.groupdict())] = part.contiguous()
                break
        else:
            for pattern, template in _TO_HF:
                if m := pattern.fullmatch(rest):
                    out[prefix + template.format(**m.groupdict())] = tensor
                    break
            else:
                raise KeyError(f"no Hugging Face name for weight {key!r}")
    return out


def from_hf(state_dict: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Hugging Face state dict -> our names.

    Returns the converted dict and the Hugging Face keys that have no counterpart here (left for
    the caller to judge: an error, or a head that the target model does not have).
    """
    state_dict = {_legacy_name(k): v for k, v in state_dict.items()}
    out, used = {}, set()
    for key in state_dict:  # the fused projections first: each consumes three Hugging Face keys
        prefix, rest = _split_prefix(key)
        for pattern, ours, theirs in _QKV_FROM_HF:
            if m := pattern.fullmatch(rest):
                names = [prefix + t.format(**m.groupdict()) for t in theirs]
                missing = [n for n in names if n not in state_dict]
                if missing:
                    raise KeyError(f"checkpoint has {key!r} but not {missing[0]!r}")
                out[prefix + ours.format(**m.groupdict())] = torch.cat(
                    [state_dict[n] for n in names]
                )
                used.update(names)
    unknown = []
    for key, tensor in state_dict.items():
        if key in used or DERIVED_HF_KEYS.fullmatch(key):
            continue
        prefix, rest = _split_prefix(key)
        for pattern, ours in _FROM_HF:
            if m := pattern.fullmatch(rest):
                out[prefix + ours.format(**m.groupdict())] = tensor
                break
        else:
            unknown.append(key)
    return out, unknown


def _legacy_name(key: str) -> str:
    for old, new in LEGACY_SUFFIXES.items():
        if key.endswith(old):
            return key[: -len(old)] + new
    return key


# Config fields that must be present in a config.json: they fix the shapes of the weights.
REQUIRED_CONFIG_FIELDS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
)


def config_from_hf(data: dict) -> BertConfig:
    """A Hugging Face `config.json` dict -> BertConfig (unknown fields are ignored)."""
    from bertkit.model.config import ConfigError

    if data.get("model_type", "bert") != "bert":
        raise ConfigError(f"model_type is {data['model_type']!r}, expected 'bert'")
    if data.get("position_embedding_type", "absolute") != "absolute":
        raise ConfigError(
            f"position_embedding_type {data['position_embedding_type']!r} is not supported "
            "(only 'absolute', as in BERT)"
        )
    missing = [name for name in REQUIRED_CONFIG_FIELDS if name not in data]
    if missing:
        raise ConfigError(f"missing field {missing[0]!r}")
    known = set(BertConfig.__dataclass_fields__)
    fields = {k: v for k, v in data.items() if k in known}
    if "id2label" in data and "num_labels" not in data:
        fields.pop("num_labels", None)
    if isinstance(fields.get("id2label"), dict):
        try:
            fields["id2label"] = {int(k): v for k, v in fields["id2label"].items()}
        except ValueError as error:
            raise ConfigError(f"id2label keys must be integers ({error})") from None
    if fields.get("pad_token_id") is None:
        fields.pop("pad_token_id", None)
    return BertConfig(**fields)


def config_to_hf(config: BertConfig, architecture: str) -> dict:
    """BertConfig -> a `config.json` dict that `transformers.AutoConfig` reads."""
    data = {"architectures": [architecture], "model_type": "bert"}
    data.update(config.to_dict())
    data["id2label"] = {str(i): label for i, label in config.id2label.items()}
    data["label2id"] = config.label2id
    data["position_embedding_type"] = "absolute"
    data["torch_dtype"] = "float32"
    return data
