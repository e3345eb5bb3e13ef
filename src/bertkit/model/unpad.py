"""Unpadding: run the encoder on the real tokens only, never on padding.

A padded batch (B, T) with attention mask M holds N = M.sum() real tokens. The embeddings are
computed on the padded batch, then packed once into (N, C); every layer's projections, feed-forward
and LayerNorms run on the N packed rows, and attention runs per sequence on its own tokens, so no
key is ever masked. The encoder output is scattered back to (B, T, C) once, with zeros at the
padding positions. On text of varied lengths this skips the work padding costs (often half).

Attention over packed sequences is exact: sequences of equal length are gathered (queries, keys
and values in one gather) into one dense (n, H, L, D) batch and run through
`scaled_dot_product_attention` without a mask. The grouping (`Packing`) is computed once per
forward pass and shared by all layers; when the batch is sorted by length, longest first (as the
pipelines sort it), the groups' outputs are already in packed order and need no scatter.
Shapes: B batch, T padded length, N real tokens, C hidden, H heads, D head dim, L a sequence length.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Packing:
    """Where the real tokens of a padded batch are, and how to attend over them."""

    indices: torch.Tensor  # (N,) positions of the real tokens in the flattened (B * T) batch
    batch_size: int
    seq_len: int
    # One entry per distinct sequence length L, longest first: (L, (n * L,) rows of the packed
    # tokens of the n sequences of that length, sequence after sequence).
    groups: list[tuple[int, torch.Tensor]]
    order: torch.Tensor  # (N,) the groups' rows concatenated: where each group output goes
    is_ordered: bool  # order is 0..N-1: the groups' outputs concatenated are the packed rows

    @property
    def num_tokens(self) -> int:
        return self.indices.numel()


def packing(attention_mask: torch.Tensor) -> Packing:
    """The packing of a (B, T) mask with 1 for real tokens (padding may sit anywhere in a row)."""
    mask = attention_mask.bool()
    lengths = mask.sum(dim=1)  # (B,)
    indices = mask.flatten().nonzero().squeeze(1)
    starts = torch.cumsum(lengths, 0) - lengths  # where each sequence begins in the packed rows
    groups = []
    for length in sorted(torch.unique(lengths).tolist(), reverse=True):
        if length == 0:
            continue
        rows = starts[lengths == length]  # (n,)
        offsets = torch.arange(length, device=mask.device)
        groups.append((length, (rows[:, None] + offsets[None, :]).flatten()))
    order = torch.cat([rows for _, rows in groups]) if groups else indices
    # Rows sorted by length, longest first: each group's rows follow the previous group's.
    lengths_list = lengths.tolist()
    is_ordered = all(a >= b for a, b in zip(lengths_list, lengths_list[1:], strict=False))
    return Packing(indices, mask.size(0), mask.size(1), groups, order, is_ordered)


def unpad(x: torch.Tensor, pack: Packing) -> torch.Tensor:
    """(B, T, C) -> (N, C): the rows of the real tokens."""
    return x.reshape(-1, x.size(-1)).index_select(0, pack.indices)


def repad(x: torch.Tensor, pack: Packing) -> torch.Tensor:
    """(N, C) -> (B, T, C), zeros at the padding positions."""
    out = x.new_zeros(pack.batch_size * pack.seq_len, x.size(-1))
    out = out.index_copy(0, pack.indices, x)
    return out.view(pack.batch_size, pack.seq_len, x.size(-1))


def packed_attention(qkv: torch.Tensor, pack: Packing, dropout_p: float) -> torch.Tensor:
    """Self-attention of every sequence over its own tokens: (N, 3, H, D) -> (N, H, D)."""
    _, _, H, D = qkv.shape
    outputs = []
    for length, rows in pack.groups:
        dense = qkv.index_select(0, rows).view(-1, length, 3, H, D)  # (n, L, 3, H, D)
        q, k, v = dense.permute(2, 0, 3, 1, 4).unbind(0)  # -> 3 x (n, H, L, D)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        outputs.append(y.transpose(1, 2).reshape(-1, H, D))  # (n, H, L, D) -> (n * L, H, D)
    y = torch.cat(outputs) if len(outputs) > 1 else outputs[0]
    if pack.is_ordered:
        return y
    return torch.empty_like(y).index_copy(0, pack.order, y)
