"""Multi-label metrics against scikit-learn, and the best-F1 threshold against brute force."""

import numpy as np
import pytest

from bertkit.tasks.classify.metrics import multilabel_metrics, roc_auc
from bertkit.tasks.classify.thresholds import best_f1_threshold, tune_thresholds

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def random_problem(seed: int, n: int = 200, num_labels: int = 4):
    rng = np.random.default_rng(seed)
    gold = (rng.random((n, num_labels)) < [0.5, 0.2, 0.05, 0.3]).astype(int)
    # Informative but noisy scores, rounded so that ties occur.
    probs = np.clip(0.35 * gold + rng.random((n, num_labels)) * 0.7, 0, 1).round(2)
    return probs, gold


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_scikit_learn(seed):
    probs, gold = random_problem(seed)
    thresholds = [0.5, 0.4, 0.6, 0.45]
    names = ["PER", "ORG", "LOC", "MISC"]
    got = multilabel_metrics(probs.tolist(), gold.tolist(), thresholds, names)
    predicted = (probs >= np.asarray(thresholds)).astype(int)
    f1 = sklearn_metrics.f1_score
    assert got["f1_micro"] == pytest.approx(f1(gold, predicted, average="micro"), abs=1e-12)
    assert got["f1_macro"] == pytest.approx(
        f1(gold, predicted, average="macro", zero_division=0), abs=1e-12
    )
    per_label_f1 = f1(gold, predicted, average=None, zero_division=0)
    aucs = [sklearn_metrics.roc_auc_score(gold[:, j], probs[:, j]) for j in range(4)]
    for j, name in enumerate(names):
        assert got["per_label"][name]["f1"] == pytest.approx(per_label_f1[j], abs=1e-12)
        assert got["per_label"][name]["roc_auc"] == pytest.approx(aucs[j], abs=1e-12)
        assert got["per_label"][name]["support"] == gold[:, j].sum()
    assert got["roc_auc_mean"] == pytest.approx(np.mean(aucs), abs=1e-12)
    assert got["exact_match"] == pytest.approx(
        sklearn_metrics.accuracy_score(gold, predicted), abs=1e-12
    )


def test_roc_auc_of_a_label_with_one_class_is_left_out_of_the_mean():
    assert roc_auc([0.1, 0.9], [0, 0]) is None
    probs = [[0.9, 0.2], [0.1, 0.3], [0.8, 0.1]]
    gold = [[1, 0], [0, 0], [1, 0]]
    got = multilabel_metrics(probs, gold, [0.5, 0.5], ["a", "b"])
    assert got["per_label"]["b"]["roc_auc"] is None
    assert got["roc_auc_mean"] == 1.0
    assert got["per_label"]["b"]["f1"] == 0.0 and got["f1_macro"] == 0.5


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_best_f1_threshold_is_the_best_cut(seed):
    probs, gold = random_problem(seed, n=120)
    f1 = sklearn_metrics.f1_score
    for j in range(probs.shape[1]):
        p, y = probs[:, j], gold[:, j]
        t = best_f1_threshold(p, y)
        best = max(f1(y, (p >= c).astype(int), zero_division=0) for c in np.unique(p))
        assert f1(y, (p >= t).astype(int), zero_division=0) == pytest.approx(best, abs=1e-12)
        assert not np.any(np.isclose(p, t))  # halfway between two probabilities, never on one
    assert len(tune_thresholds(probs, gold)) == probs.shape[1]


def test_a_label_with_no_positive_keeps_the_default():
    assert best_f1_threshold(np.array([0.2, 0.9]), np.array([0, 0])) == 0.5
