"""Classification/regression metrics against hand-computed values and scipy/scikit-learn."""

import random

import pytest

from bertkit.tasks.classify.metrics import (
    accuracy,
    classification_metrics,
    f1_for_label,
    macro_f1,
    matthews_corrcoef,
    pearson,
    ranks,
    regression_metrics,
    spearman,
)


def test_binary_metrics_on_a_hand_counted_confusion_matrix():
    # tp=3, fp=1, fn=2, tn=4
    labels = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    preds = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert accuracy(preds, labels) == 0.7
    assert f1_for_label(preds, labels, 1) == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    mcc = (3 * 4 - 1 * 2) / ((3 + 1) * (3 + 2) * (4 + 1) * (4 + 2)) ** 0.5
    assert matthews_corrcoef(preds, labels) == pytest.approx(mcc, abs=1e-12)


def test_constant_predictions_give_zero_mcc_and_zero_f1_for_the_missing_class():
    assert matthews_corrcoef([0, 0, 0], [0, 1, 0]) == 0.0
    assert f1_for_label([0, 0, 0], [0, 1, 0], 1) == 0.0


def test_binary_f1_is_reported_as_f1_and_macro_alongside():
    metrics = classification_metrics([0, 1, 1], [0, 1, 0], 2)
    assert metrics["f1"] == pytest.approx(2 / 3)
    assert metrics["f1_macro"] == pytest.approx((2 / 3 + 2 / 3) / 2)
    three = classification_metrics([0, 1, 2], [0, 1, 1], 3)
    assert three["f1"] == three["f1_macro"]


def test_ranks_average_ties_like_scipy():
    assert ranks([10, 20, 10, 30]) == [1.5, 3.0, 1.5, 4.0]


def test_correlations_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(0)
    x = [rng.choice([0.0, 0.5, 1.0, 2.5, 5.0]) for _ in range(300)]
    y = [v + rng.gauss(0, 1.5) for v in x]
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-9)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-9)
    metrics = regression_metrics(y, x)
    assert metrics["corr"] == pytest.approx((metrics["pearson"] + metrics["spearman"]) / 2)


def test_f1_and_mcc_match_scikit_learn_on_random_multiclass_predictions():
    sk = pytest.importorskip("sklearn.metrics")
    rng = random.Random(1)
    for num_labels in (2, 3, 5):
        labels = [rng.randrange(num_labels) for _ in range(500)]
        preds = [y if rng.random() < 0.6 else rng.randrange(num_labels) for y in labels]
        assert matthews_corrcoef(preds, labels) == pytest.approx(
            sk.matthews_corrcoef(labels, preds), abs=1e-9
        )
        assert macro_f1(preds, labels, num_labels) == pytest.approx(
            sk.f1_score(labels, preds, average="macro"), abs=1e-9
        )
        assert f1_for_label(preds, labels, 1) == pytest.approx(
            sk.f1_score(labels, preds, labels=[1], average="macro"), abs=1e-9
        )
