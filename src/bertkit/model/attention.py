"""Scaled dot-product attention: the eager reference (the spec) and the fast paths.

All functions share one signature and live in `ATTENTION_BACKENDS`; a model picks one by name at
construction. The eager path is the only one that can return the attention probabilities.
Shapes: B batch, H heads, T tokens, D head dim.
"""

import math

import torch
import torch.nn.functional as F


def eager_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    bias: torch.Tensor | None,
    dropout_p: float,
    need_weights: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """softmax(q k^T / sqrt(D) + bias) v, as in "Attention Is All You Need" eq. 1.

    Args:
        q, k, v: (B, H, T, D).
        bias: additive mask broadcastable to (B, H, T, T): 0 where attending is allowed, a large
            negative number where it is not (padding keys).
        dropout_p: dropout on the attention probabilities (BERT applies it there).
    Returns:
        (B, H, T, D) outputs and, if `need_weights`, the (B, H, T, T) probabilities (pre-dropout).
    """
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))  # (B, H, T, T)
    if bias is not None:
        scores = scores + bias
    probs = scores.softmax(dim=-1)
    out = F.dropout(probs, p=dropout_p, training=dropout_p > 0) @ v
    return out, probs if need_weights else None


def sdpa_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    bias: torch.Tensor | None,
    dropout_p: float,
    need_weights: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The same computation through PyTorch's fused `scaled_dot_product_attention`."""
    if need_weights:
        raise ValueError("sdpa attention cannot return probabilities; use the eager backend")
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p)
    return out, None


ATTENTION_BACKENDS = {
    "eager": eager_attention,
    "sdpa": sdpa_attention,
}


def get_attention(name: str):
    """The attention function registered as `name`, with a clear error for unknown names."""
    if name not in ATTENTION_BACKENDS:
        raise ValueError(
            f"unknown attention backend {name!r}; choose one of {list(ATTENTION_BACKENDS)}"
        )
    return ATTENTION_BACKENDS[name]
