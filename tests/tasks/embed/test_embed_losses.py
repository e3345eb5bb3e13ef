"""Each embedding loss against its formula written out with loops on small tensors."""

import math

import pytest
import torch

from bertkit.tasks.embed.losses import (
    build_loss,
    cosent,
    cosine_mse,
    matryoshka,
    multiple_negatives_ranking,
    triplet_margin,
)


def cos(u: torch.Tensor, v: torch.Tensor) -> float:
    return float(u @ v / (u.norm() * v.norm()))


def _roles(num_roles: int, rows: int = 5, dim: int = 8, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(rows, dim, generator=g, dtype=torch.float64) for _ in range(num_roles)]


@pytest.mark.parametrize("num_roles", [2, 4])
@pytest.mark.parametrize("symmetric", [False, True])
def test_mnrl_is_in_batch_softmax_over_every_positive_and_negative(num_roles, symmetric):
    roles, scale = _roles(num_roles), 20.0
    anchors, candidates = roles[0], [c for role in roles[1:] for c in role]
    rows = anchors.size(0)
    forward = 0.0
    for i in range(rows):
        logits = [scale * cos(anchors[i], c) for c in candidates]
        forward -= logits[i] - math.log(sum(math.exp(x) for x in logits))
    forward /= rows
    backward = 0.0
    for i in range(rows):
        logits = [scale * cos(roles[1][i], a) for a in anchors]
        backward -= logits[i] - math.log(sum(math.exp(x) for x in logits))
    backward /= rows
    expected = (forward + backward) / 2 if symmetric else forward
    got = multiple_negatives_ranking(roles, None, scale=scale, symmetric=symmetric)
    assert float(got) == pytest.approx(expected, rel=1e-10)


def test_cosent_sums_over_ordered_pairs():
    a, b = _roles(2, rows=6)
    scores = torch.tensor([0.1, 0.9, 0.5, 0.5, 0.0, 1.0], dtype=torch.float64)  # a tie
    c = [cos(a[i], b[i]) for i in range(6)]
    total = 1.0
    for i in range(6):
        for j in range(6):
            if scores[i] > scores[j]:
                total += math.exp(20 * (c[j] - c[i]))
    assert float(cosent([a, b], scores)) == pytest.approx(math.log(total), rel=1e-10)


def test_cosine_mse():
    a, b = _roles(2)
    scores = torch.linspace(0, 1, 5, dtype=torch.float64)
    expected = sum((cos(a[i], b[i]) - float(scores[i])) ** 2 for i in range(5)) / 5
    assert float(cosine_mse([a, b], scores)) == pytest.approx(expected, rel=1e-10)


def test_triplet_margin_over_every_negative():
    roles = _roles(4, dim=3)
    a, p, negatives = roles[0], roles[1], roles[2:]
    terms = [
        max(0.0, float((a[i] - p[i]).norm() - (a[i] - n[i]).norm()) + 1.5)
        for i in range(5)
        for n in negatives
    ]
    assert float(triplet_margin(roles, margin=1.5)) == pytest.approx(sum(terms) / len(terms))


def test_matryoshka_sums_the_loss_over_truncated_vectors():
    roles = _roles(2, dim=16)
    expected = sum(float(multiple_negatives_ranking([r[:, :d] for r in roles])) for d in (16, 8, 4))
    got = matryoshka(multiple_negatives_ranking, [16, 8, 4], roles)
    assert float(got) == pytest.approx(expected, rel=1e-12)
    built = build_loss("mnrl", 20.0, 5.0, False, [16, 8, 4])
    assert float(built(roles, None)) == pytest.approx(expected, rel=1e-12)


def test_losses_need_their_inputs():
    with pytest.raises(ValueError, match="scored"):
        cosent(_roles(2), None)
    with pytest.raises(ValueError, match="negative"):
        triplet_margin(_roles(2))
    with pytest.raises(ValueError, match="loss must be one of"):
        build_loss("nope", 20.0, 5.0, False, [])
