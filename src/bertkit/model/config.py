"""BertConfig: the architecture, with the Hugging Face field names, and the size presets.

Sizes follow Devlin et al. 2018 (base, large) and Turc et al. 2019 "Well-Read Students Learn
Better" (tiny, mini, small, medium). Runtime knobs (attention backend, dtype) are not part of it.
"""

import types
import typing
from dataclasses import asdict, dataclass, field, fields

from bertkit.errors import BertkitError
from bertkit.model.activations import ACTIVATIONS

PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")


class ConfigError(BertkitError, ValueError):
    """A config value is missing, mistyped or out of range."""


@dataclass
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"  # exact erf GELU, as the original BERT
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    # Task heads: the label names fix the classifier's width (num_labels = len(id2label)).
    num_labels: int = 2
    id2label: dict[int, str] = field(default_factory=dict)
    problem_type: str | None = None  # None: regression when num_labels == 1, else single-label
    classifier_dropout: float | None = None  # None: hidden_dropout_prob

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_type(f.name, getattr(self, f.name), f.type)
        positive = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
        positive += ("intermediate_size", "max_position_embeddings", "type_vocab_size")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                f"({self.num_attention_heads})"
            )
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ConfigError(
                f"pad_token_id must be in [0, vocab_size={self.vocab_size}), "
                f"got {self.pad_token_id}"
            )
        if self.hidden_act not in ACTIVATIONS:
            raise ConfigError(
                f"hidden_act must be one of {tuple(ACTIVATIONS)}, got {self.hidden_act!r}"
            )
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.problem_type is not None and self.problem_type not in PROBLEM_TYPES:
            raise ConfigError(
                f"problem_type must be one of {PROBLEM_TYPES}, got {self.problem_type!r}"
            )
        if self.id2label:
            self.id2label = {int(k): str(v) for k, v in self.id2label.items()}
            if sorted(self.id2label) != list(range(len(self.id2label))):
                raise ConfigError(f"id2label keys must be 0..n-1, got {sorted(self.id2label)}")
            self.num_labels = len(self.id2label)
        elif self.num_labels < 1:
            raise ConfigError(f"num_labels must be at least 1, got {self.num_labels}")
        else:
            self.id2label = {i: f"LABEL_{i}" for i in range(self.num_labels)}

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in self.id2label.items()}

    def to_dict(self) -> dict:
        return asdict(self)


def _check_type(name: str, value, annotation) -> None:
    """Reject a value whose JSON type does not fit the field (a string where an int belongs)."""
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    allowed = typing.get_args(annotation) if is_union else (annotation,)
    if value is None:
        if type(None) not in allowed:
            raise ConfigError(f"{name} must not be null")
        return
    kinds = {typing.get_origin(a) or a for a in allowed} - {type(None)}
    if float in kinds:
        kinds.add(int)  # JSON writes 0.0 as 0
    if isinstance(value, bool) or not isinstance(value, tuple(kinds)):
        expected = " or ".join(
            sorted(k.__name__ for k in kinds if k is not int or float not in kinds)
        )
        raise ConfigError(f"{name} must be {expected}, got {value!r}")


def _preset(layers: int, hidden: int, heads: int, **overrides) -> BertConfig:
    return BertConfig(
        num_hidden_layers=layers,
        hidden_size=hidden,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        **overrides,
    )


def bert_tiny(**overrides) -> BertConfig:
    return _preset(2, 128, 2, **overrides)


def bert_mini(**overrides) -> BertConfig:
    return _preset(4, 256, 4, **overrides)


def bert_small(**overrides) -> BertConfig:
    return _preset(4, 512, 8, **overrides)


def bert_medium(**overrides) -> BertConfig:
    return _preset(8, 512, 8, **overrides)


def bert_base(**overrides) -> BertConfig:
    return _preset(12, 768, 12, **overrides)


def bert_large(**overrides) -> BertConfig:
    return _preset(24, 1024, 16, **overrides)


PRESETS = {
    "tiny": bert_tiny,
    "mini": bert_mini,
    "small": bert_small,
    "medium": bert_medium,
    "base": bert_base,
    "large": bert_large,
}


def preset(name: str, **overrides) -> BertConfig:
    """The preset config called `name` (tiny, mini, small, medium, base, large)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name](**overrides)
