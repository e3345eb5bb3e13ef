"""Inference precision: which Linear computes the encoder's matmuls, chosen once after loading.

`set_precision(model, "bfloat16")` swaps each encoder layer's four projections for a module that
multiplies in bf16 while everything that needs range stays fp32: the residual stream, LayerNorm
(statistics and affine), the embeddings, softmax (inside the fused attention kernel, which
accumulates bf16 inputs in fp32), pooling, normalisation and the heads. A projection feeding
attention or the activation (`qkv`, `ffn_in`) returns bf16, since its consumer would round to bf16
anyway; a projection feeding a residual sum (`out`, `ffn_out`) returns fp32. "int8" swaps them for
`bertkit.model.int8.Int8Linear` (per-channel int8 weights, dynamically quantized activations),
except the projections that `INT8_KEEP` keeps in fp32 because int8 loses accuracy there.
The model's `forward` is untouched: a projection is called as before, whatever computes it.

`auto_precision()` is what `dtype="auto"` computes in on a CPU: bf16 where the CPU multiplies
bf16 in hardware (AMX or AVX-512 BF16), fp32 otherwise. int8 is never the automatic choice: on
all-MiniLM-L6-v2 it stays below the 0.999 min-cosine bar (README, "Precision").
"""

import logging

import torch
import torch.nn.functional as F
from torch import nn

from bertkit.model.bert import EncoderLayer
from bertkit.model.config import ConfigError
from bertkit.model.cpu import cpu_flags, has_fast_bf16
from bertkit.model.int8 import Int8Linear

logger = logging.getLogger(__name__)

# The projections of one encoder layer, by attribute path, and whether their consumer is a
# residual sum (then they return fp32) or attention / the activation (then the compute dtype).
PROJECTIONS = {
    "attn.qkv": False,
    "attn.out": True,
    "ffn.ffn_in": False,
    "ffn.ffn_out": True,
}
# Projections kept in fp32 under int8, measured on all-MiniLM-L6-v2 (README, "Precision"): the
# query/key/value projection loses the most (its errors are multiplied together in q k^T and
# sharpened by the softmax); min cosine on 64 SST-2 sentences with 7-bit activations (AVX2):
# 0.988 all in int8, 0.9953 with qkv in fp32, 0.9980 with qkv and ffn_out, 0.9984 qkv and ffn_in.
INT8_KEEP = ("attn.qkv",)
PRECISIONS = ("float32", "bfloat16", "float16", "int8")


class CastLinear(nn.Module):
    """y = x W^T + b with x and W rounded to `dtype` (bf16 or fp16) and fp32 accumulation.

    The output is `dtype`, or fp32 when `is_residual` (it is then added to the fp32 residual).
    """

    def __init__(self, linear: nn.Linear, dtype: torch.dtype, is_residual: bool):
        super().__init__()
        self.dtype = dtype
        self.is_residual = is_residual
        self.weight = nn.Parameter(linear.weight.detach().to(dtype), requires_grad=False)
        bias = linear.bias
        self.bias = None if bias is None else nn.Parameter(bias.detach().to(dtype), False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x.to(self.dtype), self.weight, self.bias)
        return y.float() if self.is_residual else y


def set_precision(model: nn.Module, precision: str) -> nn.Module:
    """Make `model`'s encoder layers compute in `precision`; returns the model (for inference).

    Args:
        model: a bertkit model in fp32 (any head; the heads and embeddings stay fp32).
        precision: "float32" (no change), "bfloat16", "float16" or "int8".
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "float32":
        return model
    for layer in model.modules():
        if not isinstance(layer, EncoderLayer):
            continue
        for path, is_residual in PROJECTIONS.items():
            owner_name, name = path.split(".")
            owner = getattr(layer, owner_name)
            linear = getattr(owner, name)
            if not isinstance(linear, nn.Linear):
                raise ConfigError(f"set_precision: {path} is already a {type(linear).__name__}")
            setattr(owner, name, make_projection(linear, path, precision, is_residual))
    return model


def make_projection(linear: nn.Linear, path: str, precision: str, is_residual: bool) -> nn.Module:
    """The module that computes `linear` in `precision`."""
    if precision == "int8":
        return linear if path in INT8_KEEP else Int8Linear(linear)
    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float16
    return CastLinear(linear, dtype, is_residual)


def model_precision(model: nn.Module) -> str:
    """The precision `set_precision` gave `model` ("float32" when none)."""
    for module in model.modules():
        if isinstance(module, Int8Linear):
            return "int8"
        if isinstance(module, CastLinear):
            return "bfloat16" if module.dtype == torch.bfloat16 else "float16"
    return "float32"


def auto_precision(flags: frozenset[str] | None = None) -> str:
    """The CPU precision `dtype="auto"` picks: "bfloat16" with hardware bf16, else "float32"."""
    flags = cpu_flags() if flags is None else flags
    choice = "bfloat16" if has_fast_bf16(flags) else "float32"
    logger.info(
        "dtype auto: %s (%s)",
        choice,
        "hardware bf16" if choice != "float32" else "no hardware bf16 on this CPU",
    )
    return choice
