"""Per-label decision thresholds of a multi-label classifier, and tuning them on held-out data.

A label is predicted when its sigmoid probability is at least its threshold (0.5 by default).
`bertkit finetune classify --multi-label --tune-thresholds` picks, for each label, the threshold
that maximises that label's F1 on the evaluation split, and the model directory keeps them in
`thresholds.json` ({"thresholds": {label: t}}), which the classify pipeline reads. Thresholds tuned
on the split they are scored on flatter that split's F1: score a separate test file with
`bertkit evaluate` for an honest figure. numpy and json only (the ONNX runtime reads this file).
"""

import json
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import write_json

THRESHOLDS_FILE = "thresholds.json"
DEFAULT_THRESHOLD = 0.5


def read_thresholds(model_dir: str | Path, labels: list[str]) -> list[float]:
    """The threshold of each label from `model_dir/thresholds.json`; 0.5 for a label it does not
    name, and for every label when there is no such file."""
    path = Path(model_dir) / THRESHOLDS_FILE
    if not path.exists():
        return [DEFAULT_THRESHOLD] * len(labels)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))["thresholds"]
        values = {str(k): float(v) for k, v in stored.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BertkitError(
            f'{path}: expected {{"thresholds": {{label: number}}}} ({error})'
        ) from None
    bad = [k for k, v in values.items() if not 0.0 <= v <= 1.0]
    if bad:
        raise BertkitError(f"{path}: the threshold of {bad[0]!r} is not in [0, 1]")
    return [values.get(label, DEFAULT_THRESHOLD) for label in labels]


def write_thresholds(model_dir: str | Path, labels: list[str], thresholds: list[float]) -> None:
    write_json(
        Path(model_dir) / THRESHOLDS_FILE,
        {"thresholds": dict(zip(labels, map(float, thresholds), strict=True))},
    )


def best_f1_threshold(probs: np.ndarray, gold: np.ndarray) -> float:
    """The threshold t that maximises the F1 of predicting `probs >= t` against 0/1 `gold`.

    Every distinct probability is a candidate cut; the one with the best F1 wins (the highest
    threshold among equals), and t is placed halfway to the next lower probability, so that a
    slightly different probability of the same example decides the same way. With no positive
    example F1 is 0 for every cut: the default 0.5 is kept.
    """
    positives = int(gold.sum())
    if positives == 0:
        return DEFAULT_THRESHOLD
    order = np.argsort(-probs, kind="stable")
    p, y = probs[order], gold[order]
    true_pos = np.cumsum(y)  # predicting the first k+1 as positive
    predicted = np.arange(1, len(p) + 1)
    # Cut only where the next probability differs: equal probabilities decide together.
    last = np.append(p[1:] != p[:-1], True)
    f1 = np.where(last, 2 * true_pos / (predicted + positives), -1.0)
    k = int(np.argmax(f1))  # the first maximum: the highest threshold
    below = p[k + 1] if k + 1 < len(p) else 0.0
    return float((p[k] + below) / 2)


def tune_thresholds(probs: np.ndarray, gold: np.ndarray) -> list[float]:
    """The best-F1 threshold of each label: (N, L) probabilities and 0/1 labels -> L floats."""
    return [best_f1_threshold(probs[:, j], gold[:, j]) for j in range(probs.shape[1])]
