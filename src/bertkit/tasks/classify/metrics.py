"""Sentence(-pair) classification and regression metrics, as GLUE reports them.

Accuracy, F1 (binary on label id 1, and macro), Matthews correlation (Gorodkin's multi-class form,
which is the usual binary MCC for two classes), Pearson/Spearman for regression (STS-B), and
for multi-label classification micro and macro F1, per-label and mean ROC AUC, exact match.
All scores are fractions in [0, 1] ([-1, 1] for correlations). Pure Python on lists.
"""

import math
from collections import Counter


def accuracy(predictions: list[int], labels: list[int]) -> float:
    _check_lengths(predictions, labels)
    return sum(p == y for p, y in zip(predictions, labels, strict=True)) / len(labels)


def f1_for_label(predictions: list[int], labels: list[int], positive: int) -> float:
    """F1 of one class against the rest; 0.0 when it is neither predicted nor present."""
    tp = sum(p == positive and y == positive for p, y in zip(predictions, labels, strict=True))
    predicted = sum(p == positive for p in predictions)
    actual = sum(y == positive for y in labels)
    return 2 * tp / (predicted + actual) if predicted + actual else 0.0


def macro_f1(predictions: list[int], labels: list[int], num_labels: int) -> float:
    """Unweighted mean of the per-class F1 over every class of the label set."""
    return sum(f1_for_label(predictions, labels, k) for k in range(num_labels)) / num_labels


def matthews_corrcoef(predictions: list[int], labels: list[int]) -> float:
    """MCC from the confusion matrix (Gorodkin 2004); 0.0 when a marginal is constant."""
    _check_lengths(predictions, labels)
    n = len(labels)
    correct = sum(p == y for p, y in zip(predictions, labels, strict=True))
    pred_counts, true_counts = Counter(predictions), Counter(labels)
    classes = set(pred_counts) | set(true_counts)
    cross = sum(pred_counts[k] * true_counts[k] for k in classes)
    pred_sq = n * n - sum(c * c for c in pred_counts.values())
    true_sq = n * n - sum(c * c for c in true_counts.values())
    if pred_sq == 0 or true_sq == 0:
        return 0.0
    return (correct * n - cross) / math.sqrt(pred_sq * true_sq)


def pearson(x: list[float], y: list[float]) -> float:
    _check_lengths(x, y)
    mean_x, mean_y = sum(x) / len(x), sum(y) / len(y)
    dx = [a - mean_x for a in x]
    dy = [b - mean_y for b in y]
    denominator = math.sqrt(sum(a * a for a in dx) * sum(b * b for b in dy))
    return sum(a * b for a, b in zip(dx, dy, strict=True)) / denominator if denominator else 0.0


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing the average of the ranks they span (as scipy's rankdata)."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(x: list[float], y: list[float]) -> float:
    """Pearson correlation of the ranks."""
    return pearson(ranks(x), ranks(y))


def classification_metrics(predictions: list[int], labels: list[int], num_labels: int) -> dict:
    """accuracy, f1 (binary on class 1 for two classes, else macro), f1_macro, mcc, and how many
    distinct labels were predicted (1 means a classifier that learned nothing but the majority)."""
    macro = macro_f1(predictions, labels, num_labels)
    return {
        "accuracy": accuracy(predictions, labels),
        "f1": f1_for_label(predictions, labels, 1) if num_labels == 2 else macro,
        "f1_macro": macro,
        "mcc": matthews_corrcoef(predictions, labels),
        "predicted_labels": len(set(predictions)),
    }


def regression_metrics(predictions: list[float], labels: list[float]) -> dict:
    """pearson, spearman, and their mean (GLUE's STS-B summary), plus the mean squared error."""
    r, rho = pearson(predictions, labels), spearman(predictions, labels)
    mse = sum((p - y) ** 2 for p, y in zip(predictions, labels, strict=True)) / len(labels)
    return {"pearson": r, "spearman": rho, "corr": (r + rho) / 2, "mse": mse}


def _check_lengths(a: list, b: list) -> None:
    if len(a) != len(b) or not a:
        raise ValueError(f"need two non-empty lists of the same length, got {len(a)} and {len(b)}")


def roc_auc(scores: list[float], labels: list[int]) -> float | None:
    """Area under the ROC curve: the chance that a random positive outscores a random negative
    (ties count half), from the Mann-Whitney rank sum; None when one class is absent."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    rank_sum = sum(r for r, y in zip(ranks(scores), labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def multilabel_metrics(
    probs: list[list[float]], gold: list[list[int]], thresholds: list[float], names: list[str]
) -> dict:
    """Scores of a multi-label classifier: each label is predicted when its probability reaches
    its threshold.

    f1_micro (over every (row, label) decision), f1_macro (mean of the per-label F1s), roc_auc_mean
    (the mean column-wise ROC AUC, the Jigsaw toxic-comment competition's score, over the labels
    with both classes present), exact_match (rows whose whole label set is right), and per label
    its f1, roc_auc (None when one class is absent), threshold and support (positive rows).
    """
    _check_lengths(probs, gold)
    num_labels = len(names)
    predicted = [[int(p >= t) for p, t in zip(row, thresholds, strict=True)] for row in probs]
    per_label, aucs = {}, []
    tp_all = predicted_all = actual_all = 0
    for j, name in enumerate(names):
        pred = [row[j] for row in predicted]
        true = [row[j] for row in gold]
        tp = sum(p and y for p, y in zip(pred, true, strict=True))
        tp_all, predicted_all, actual_all = (
            tp_all + tp,
            predicted_all + sum(pred),
            actual_all + sum(true),
        )
        auc = roc_auc([row[j] for row in probs], true)
        if auc is not None:
            aucs.append(auc)
        per_label[name] = {
            "f1": 2 * tp / (sum(pred) + sum(true)) if sum(pred) + sum(true) else 0.0,
            "roc_auc": auc,
            "threshold": float(thresholds[j]),
            "support": sum(true),
        }
    exact = sum(p == y for p, y in zip(predicted, gold, strict=True)) / len(gold)
    denominator = predicted_all + actual_all
    return {
        "f1_micro": 2 * tp_all / denominator if denominator else 0.0,
        "f1_macro": sum(m["f1"] for m in per_label.values()) / num_labels,
        "roc_auc_mean": sum(aucs) / len(aucs) if aucs else 0.0,
        "exact_match": exact,
        "per_label": per_label,
    }
