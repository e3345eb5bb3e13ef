"""Turning encoded examples into padded tensor batches, for training and for inference.

Every task pads on the right to the longest input of its batch (pad id for tokens, 0 for types
and mask, -100 for token labels, which the losses ignore).
"""

from collections.abc import Callable

import torch


def pad_stack(rows: list[list[int]], value: int) -> torch.Tensor:
    """(B, T) long tensor of the rows padded on the right with `value` to the longest row."""
    width = max(len(row) for row in rows)
    return torch.tensor([row + [value] * (width - len(row)) for row in rows], dtype=torch.long)


def encoder_inputs(rows: list, pad_id: int) -> dict[str, torch.Tensor]:
    """input_ids, token_type_ids, attention_mask of objects with input_ids/token_type_ids."""
    return {
        "input_ids": pad_stack([r.input_ids for r in rows], pad_id),
        "token_type_ids": pad_stack([r.token_type_ids for r in rows], 0),
        "attention_mask": pad_stack([[1] * len(r.input_ids) for r in rows], 0),
    }


@torch.no_grad()
def predict_batches(
    model: torch.nn.Module, rows: list, collate: Callable[[list], dict], batch_size: int
) -> list:
    """The model's output for every row, in the rows' order.

    Rows are run shortest first, so each batch pads little; `collate` builds a batch from rows.
    Returns one output object per batch, with the row indices of that batch: [(indices, out)].
    """
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].input_ids))
    results = []
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        batch = {k: v.to(device) for k, v in collate([rows[i] for i in indices]).items()}
        results.append((indices, model(**batch)))
    return results
