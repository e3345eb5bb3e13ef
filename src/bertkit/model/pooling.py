"""Sentence embeddings from token vectors: mean, [CLS] or max pooling, optionally L2-normalised.

Mean pooling over real tokens then normalisation is the sentence-transformers recipe
(Reimers & Gurevych 2019) that the all-MiniLM checkpoints were trained with.
Shapes: B batch, T tokens, C hidden.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

POOLING_MODES = ("mean", "cls", "max")


@dataclass
class PoolingConfig:
    mode: str = "mean"
    normalize: bool = False

    def __post_init__(self) -> None:
        if self.mode not in POOLING_MODES:
            raise ValueError(f"pooling mode must be one of {POOLING_MODES}, got {self.mode!r}")


def pool(
    hidden: torch.Tensor, attention_mask: torch.Tensor, mode: str, normalize: bool = False
) -> torch.Tensor:
    """(B, T, C) token vectors and the (B, T) mask -> (B, C) sentence vectors."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    if mode == "mean":
        out = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    elif mode == "cls":
        out = hidden[:, 0]
    elif mode == "max":
        out = hidden.masked_fill(mask == 0, torch.finfo(hidden.dtype).min).max(1).values
    else:
        raise ValueError(f"pooling mode must be one of {POOLING_MODES}, got {mode!r}")
    return F.normalize(out, p=2, dim=-1) if normalize else out
