"""What an exported graph computes per head: the module traced, its inputs and its output names.

The inputs are always `input_ids`, `attention_mask`, `token_type_ids` (in that order, as
transformers' and optimum's exports), and the output names are theirs: `last_hidden_state`,
`logits`, `start_logits`/`end_logits`, plus `sentence_embedding` (sentence-transformers' name)
when the directory declares a pooling. The encoder runs padded (no unpadding): a traced graph
must not depend on the data, and the padded path is one fixed sequence of operators.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from bertkit.errors import BertkitError
from bertkit.model import (
    BertForMaskedLM,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
)
from bertkit.model.bert import SelfAttention
from bertkit.model.pooling import PoolingConfig, pool

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class Head:
    name: str  # "encoder", "sequence-classification", ...
    model_class: type
    outputs: tuple[str, ...]  # graph outputs besides sentence_embedding
    is_token_level: bool  # outputs have a token axis (compared at real tokens only)


HEADS = {
    "BertModel": Head("encoder", BertModel, ("last_hidden_state",), True),
    "BertForSequenceClassification": Head(
        "sequence-classification", BertForSequenceClassification, ("logits",), False
    ),
    "BertForTokenClassification": Head(
        "token-classification", BertForTokenClassification, ("logits",), True
    ),
    "BertForQuestionAnswering": Head(
        "question-answering", BertForQuestionAnswering, ("start_logits", "end_logits"), True
    ),
    "BertForMaskedLM": Head("masked-lm", BertForMaskedLM, ("logits",), True),
}
# A pretraining checkpoint exports its masked-LM head (what fill-mask uses).
HEADS["BertForPreTraining"] = HEADS["BertForMaskedLM"]


def head_for(architecture: str) -> Head:
    """The head exported for a config.json `architectures[0]`."""
    if architecture not in HEADS:
        raise BertkitError(
            f"cannot export a {architecture}; exportable: {', '.join(sorted(HEADS))}"
        )
    return HEADS[architecture]


class SplitAttention(nn.Module):
    """The same self-attention as `SelfAttention`, written with separate query, key and value
    projections: the operator pattern of ONNX Runtime's attention fusion (`--optimize`), which
    does not recognise one fused qkv projection. The weights are views of the original's."""

    def __init__(self, attn: SelfAttention):
        super().__init__()
        self.num_heads, self.head_dim = attn.num_heads, attn.head_dim
        C = attn.qkv.in_features
        weight, bias = attn.qkv.weight, attn.qkv.bias  # (3C, C), (3C,): q, k, v stacked
        self.q, self.k, self.v = (nn.Linear(C, C) for _ in range(3))
        for i, linear in enumerate((self.q, self.k, self.v)):
            linear.weight = nn.Parameter(weight[i * C : (i + 1) * C])
            linear.bias = nn.Parameter(bias[i * C : (i + 1) * C])
        self.out = attn.out

    def forward(
        self, x: torch.Tensor, bias: torch.Tensor | None, need_weights: bool = False
    ) -> tuple[torch.Tensor, None]:
        B, T, C = x.shape
        H, D = self.num_heads, self.head_dim
        q = self.q(x).view(B, T, H, D).transpose(1, 2)  # (B, T, C) -> (B, H, T, D)
        k = self.k(x).view(B, T, H, D).permute(0, 2, 3, 1)  # (B, T, C) -> (B, H, D, T)
        v = self.v(x).view(B, T, H, D).transpose(1, 2)  # (B, T, C) -> (B, H, T, D)
        scores = (q @ k) / math.sqrt(D)  # (B, H, T, T)
        if bias is not None:
            scores = scores + bias
        y = scores.softmax(dim=-1) @ v  # (B, H, T, D)
        y = y.transpose(1, 2).reshape(B, T, C)  # (B, H, T, D) -> (B, T, C)
        return self.out(y), None


def split_attention(model: nn.Module) -> nn.Module:
    """Swap every layer's attention for its `SplitAttention` (same weights, same outputs)."""
    for layer in model.modules():
        attn = getattr(layer, "attn", None)
        if isinstance(attn, SelfAttention):
            layer.attn = SplitAttention(attn)
    return model


class ExportModule(nn.Module):
    """(input_ids, attention_mask, token_type_ids) -> the head's outputs, as a tuple in
    `output_names` order (tracing needs tensors, not our output dataclasses)."""

    def __init__(self, model: nn.Module, head: Head, pooling: PoolingConfig | None):
        super().__init__()
        self.model = split_attention(model)
        self.head = head
        self.pooling = pooling if head.name == "encoder" else None
        self.output_names = head.outputs + (("sentence_embedding",) if self.pooling else ())

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        out = self.model(input_ids, token_type_ids, attention_mask)
        if self.head.name == "question-answering":
            return out.start_logits, out.end_logits
        if self.head.name != "encoder":
            return (out.logits,)
        hidden = out.last_hidden_state  # (B, T, C)
        if self.pooling is None:
            return (hidden,)
        mode, normalize = self.pooling.mode, self.pooling.normalize
        return hidden, pool(hidden, attention_mask, mode, normalize)
