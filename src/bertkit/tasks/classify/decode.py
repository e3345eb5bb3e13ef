"""From classifier logits to answers: the label (with its probability) or the regression score.

Pure functions on a (B, L) logits tensor, shared by evaluation and the pipelines.
"""

import torch


def predict_label_ids(logits: torch.Tensor) -> list[int]:
    """The most likely label id per row; the lowest id wins a tie (as torch.argmax)."""
    return logits.argmax(dim=-1).tolist()


def predict_scores(logits: torch.Tensor) -> list[float]:
    """Regression: the single output per row, (B, 1) -> B floats."""
    return logits.reshape(-1).tolist()


def top_labels(
    logits: torch.Tensor, id2label: dict[int, str], k: int = 1
) -> list[list[tuple[str, float]]]:
    """The k most likely (label, probability) pairs per row, most likely first."""
    probs = logits.float().softmax(dim=-1)  # (B, L)
    values, indices = probs.topk(min(k, probs.size(-1)), dim=-1)
    return [
        [(id2label[i], p) for i, p in zip(row_ids, row_probs, strict=True)]
        for row_ids, row_probs in zip(indices.tolist(), values.tolist(), strict=True)
    ]
