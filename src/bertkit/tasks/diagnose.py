"""Tell a user when fine-tuning failed, and what to change: the checks behind the warnings.

A short or badly tuned run can end with a classifier that predicts one class for every input
(MCC 0; accuracy = the majority share) or with a training loss that never fell. Both look like
results in eval.json, so each is said in a warning line that names the remedy.
"""

import logging
from pathlib import Path

from bertkit.train.metrics import read_metrics

log = logging.getLogger(__name__)

MIN_DROP = 0.05  # the last quarter's mean training loss must be this much (relative) lower


def diagnose(scores: dict, metrics_file: str | Path, lr: float) -> list[str]:
    """Warnings about a finished run (also logged): one-class predictions, a loss that did not
    fall. `scores` are the best evaluation's; `metrics_file` is the loop's metrics.jsonl."""
    warnings = []
    if scores.get("predicted_labels") == 1:
        warnings.append(
            f"every evaluation example got the same label (MCC {scores.get('mcc', 0.0):.2f}, "
            f"accuracy {scores.get('accuracy', 0.0):.3f} is the share of that label): the model "
            "learned nothing but the majority class; train longer (more --epochs or examples) or "
            f"try another --lr (now {lr:g}; 2e-5 to 1e-4 usually work)"
        )
    losses = [
        r["loss"] for r in read_metrics(metrics_file) if r["split"] == "train" and "loss" in r
    ]
    if len(losses) >= 2:
        quarter = max(1, len(losses) // 4)
        first, last = sum(losses[:quarter]) / quarter, sum(losses[-quarter:]) / quarter
        if last > (1 - MIN_DROP) * first:
            warnings.append(
                f"the training loss did not fall ({first:.3f} at the start, {last:.3f} at the "
                f"end): train longer (more --epochs or examples) or change --lr (now {lr:g}; "
                "lower it if the loss rose, raise it if the loss stayed flat)"
            )
    for warning in warnings:
        log.warning("%s", warning)
    return warnings
