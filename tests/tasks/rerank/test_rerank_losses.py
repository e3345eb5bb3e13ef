"""The reranking losses against their formulas, written out element by element."""

import math

import torch

from bertkit.tasks.rerank.losses import binary_cross_entropy, listwise_softmax, rerank_loss


def test_binary_cross_entropy_is_the_mean_log_loss_of_the_sigmoid():
    logits = torch.tensor([[1.5], [-0.3], [0.2], [-2.0]])
    labels = torch.tensor([1.0, 0.0, 0.0, 1.0])
    expected = 0.0
    for z, y in zip(logits.view(-1).tolist(), labels.tolist(), strict=True):
        p = 1 / (1 + math.exp(-z))
        expected -= y * math.log(p) + (1 - y) * math.log(1 - p)
    expected /= 4
    assert math.isclose(binary_cross_entropy(logits, labels).item(), expected, rel_tol=1e-6)


def test_listwise_softmax_is_the_mean_negative_log_softmax_of_the_positive():
    torch.manual_seed(0)
    logits = torch.randn(3 * 4, 1)  # 3 groups of 4 candidates, group by group
    labels = torch.zeros(3, 4)
    labels[:, 0] = 1.0
    expected = 0.0
    for i in range(3):
        row = logits.view(3, 4)[i].tolist()
        expected -= row[0] - math.log(sum(math.exp(z) for z in row))
    expected /= 3
    assert math.isclose(listwise_softmax(logits, labels).item(), expected, rel_tol=1e-6)


def test_the_positive_may_sit_anywhere_in_its_group():
    logits = torch.tensor([[0.1], [2.0], [-1.0]])
    labels = torch.tensor([[0.0, 1.0, 0.0]])
    expected = -(2.0 - math.log(math.exp(0.1) + math.exp(2.0) + math.exp(-1.0)))
    assert math.isclose(listwise_softmax(logits, labels).item(), expected, rel_tol=1e-6)


def test_label_shape_chooses_the_loss():
    logits = torch.tensor([[0.5], [-0.5]])
    pairs = torch.tensor([1.0, 0.0])
    group = torch.tensor([[1.0, 0.0]])
    assert rerank_loss(logits, pairs).item() == binary_cross_entropy(logits, pairs).item()
    assert rerank_loss(logits, group).item() == listwise_softmax(logits, group).item()


def test_losses_fall_when_the_positive_scores_higher():
    labels = torch.tensor([[1.0, 0.0, 0.0]])
    low = listwise_softmax(torch.tensor([[0.0], [1.0], [1.0]]), labels)
    high = listwise_softmax(torch.tensor([[3.0], [1.0], [1.0]]), labels)
    assert high < low
