"""From classifier logits to answers: the label (with its probability) or the regression score.

Pure functions on a (B, L) logits array (numpy, or a CPU tensor), shared by evaluation and the
pipelines. numpy, not torch, so that the ONNX runtime of the pipelines decodes without PyTorch.
"""

import numpy as np


def predict_label_ids(logits) -> list[int]:
    """The most likely label id per row; the lowest id wins a tie (as torch.argmax)."""
    return np.asarray(logits).argmax(axis=-1).tolist()


def predict_scores(logits) -> list[float]:
    """Regression: the single output per row, (B, 1) -> B floats."""
    return np.asarray(logits, dtype=np.float32).reshape(-1).tolist()


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the row maximum so that exp cannot overflow."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, indices) of the k highest scores per row, highest first (lowest index on ties)."""
    indices = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(scores, indices, axis=-1), indices


def top_labels(logits, id2label: dict[int, str], k: int = 1) -> list[list[tuple[str, float]]]:
    """The k most likely (label, probability) pairs per row, most likely first."""
    probs = softmax(np.asarray(logits, dtype=np.float32))  # (B, L)
    values, indices = top_k(probs, min(k, probs.shape[-1]))
    return [
        [(id2label[i], p) for i, p in zip(row_ids, row_probs, strict=True)]
        for row_ids, row_probs in zip(indices.tolist(), values.tolist(), strict=True)
    ]
