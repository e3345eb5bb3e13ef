"""Sentence-embedding losses: plain functions of embedding tensors, each a mean over the B rows.

Shapes: B rows, K given negatives per row, C embedding size. cos(u, v) = u.v / (|u| |v|).
Every loss takes `roles`, the row's embeddings role by role (anchors, positives, negatives...),
each (B, C), and `scores` (B,) for scored pairs, so that one signature serves the model, the
cached (GradCache) step and the Matryoshka wrapper.
"""

from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F

Loss = Callable[[Sequence[torch.Tensor], torch.Tensor | None], torch.Tensor]
LOSSES = ("mnrl", "cached_mnrl", "cosent", "cosine_mse", "triplet")


def cosine_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N, C), (M, C) -> (N, M) cosine similarities."""
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T


def multiple_negatives_ranking(
    roles: Sequence[torch.Tensor],
    scores: torch.Tensor | None = None,
    scale: float = 20.0,
    symmetric: bool = False,
) -> torch.Tensor:
    """In-batch negatives (Henderson et al. 2017; sentence-transformers' MNRL):

        L = -1/B sum_i log( exp(s cos(a_i, p_i)) / sum_{c in P u N} exp(s cos(a_i, c)) )

    with P the B positives and N the B*K given negatives of the batch, s = `scale`: for anchor
    i every other row's positive and every negative in the batch is a negative. `symmetric` adds
    the positive -> anchor direction, -1/B sum_i log( exp(s cos(p_i, a_i)) / sum_j exp(s
    cos(p_i, a_j)) ), and returns the mean of the two terms.
    """
    anchors, candidates = roles[0], torch.cat(list(roles[1:]))  # (B, C), ((1 + K) B, C)
    target = torch.arange(anchors.size(0), device=anchors.device)
    loss = F.cross_entropy(scale * cosine_matrix(anchors, candidates), target)
    if not symmetric:
        return loss
    backward = F.cross_entropy(scale * cosine_matrix(roles[1], anchors), target)
    return (loss + backward) / 2


def cosent(
    roles: Sequence[torch.Tensor], scores: torch.Tensor | None, scale: float = 20.0
) -> torch.Tensor:
    """CoSENT (Su 2022): for pairs i, j with gold scores y_i > y_j, the cosine of i should exceed
    that of j:

        L = log(1 + sum_{(i, j): y_i > y_j} exp(s (cos_j - cos_i)))

    with cos_i = cos(a_i, b_i) and s = `scale`. One sum over the batch, as sentence-transformers'
    CoSENTLoss: the loss is not a per-row mean.
    """
    if scores is None:
        raise ValueError("cosent needs scored pairs")
    cos = F.cosine_similarity(roles[0], roles[1], dim=-1)  # (B,)
    diff = scale * (cos[None, :] - cos[:, None])  # [i, j] = s (cos_j - cos_i)
    is_ordered = scores[:, None] > scores[None, :]  # [i, j]: y_i > y_j
    diff = diff.masked_fill(~is_ordered, float("-inf"))
    zero = torch.zeros(1, device=diff.device, dtype=diff.dtype)  # the "1 +" inside the log
    return torch.logsumexp(torch.cat([zero, diff.flatten()]), dim=0)


def cosine_mse(roles: Sequence[torch.Tensor], scores: torch.Tensor | None) -> torch.Tensor:
    """Cosine-similarity regression (Reimers & Gurevych 2019):

    L = 1/B sum_i (cos(a_i, b_i) - y_i)^2
    """
    if scores is None:
        raise ValueError("cosine_mse needs scored pairs")
    return F.mse_loss(F.cosine_similarity(roles[0], roles[1], dim=-1), scores)


def triplet_margin(
    roles: Sequence[torch.Tensor], scores: torch.Tensor | None = None, margin: float = 5.0
) -> torch.Tensor:
    """Triplet loss (Schroff et al. 2015) on Euclidean distances, over each row's K negatives:

    L = 1/(B K) sum_i sum_k max(0, |a_i - p_i| - |a_i - n_ik| + margin)
    """
    if len(roles) < 3:
        raise ValueError("triplet_margin needs at least one negative per row")
    anchors, positives = roles[0], roles[1]
    d_pos = (anchors - positives).norm(dim=-1)  # (B,)
    d_neg = torch.stack([(anchors - n).norm(dim=-1) for n in roles[2:]], dim=1)  # (B, K)
    return F.relu(d_pos[:, None] - d_neg + margin).mean()


def matryoshka(
    loss: Loss,
    dims: Sequence[int],
    roles: Sequence[torch.Tensor],
    scores: torch.Tensor | None = None,
) -> torch.Tensor:
    """Matryoshka representation learning (Kusupati et al. 2022): the loss summed over the
    leading `dims` coordinates of every embedding, L = sum_d loss(roles[:, :d]), so that a
    vector cut to any of them still works."""
    losses = [loss([r[..., :d] for r in roles], scores) for d in dims]
    return torch.stack(losses).sum()


def build_loss(
    name: str, scale: float, margin: float, symmetric: bool, dims: Sequence[int]
) -> Loss:
    """The loss function named `name` with its settings, wrapped in Matryoshka when `dims`."""
    if name in ("mnrl", "cached_mnrl"):
        base: Loss = partial(multiple_negatives_ranking, scale=scale, symmetric=symmetric)
    elif name == "cosent":
        base = partial(cosent, scale=scale)
    elif name == "cosine_mse":
        base = cosine_mse
    elif name == "triplet":
        base = partial(triplet_margin, margin=margin)
    else:
        raise ValueError(f"loss must be one of {LOSSES}, got {name!r}")
    return partial(matryoshka, base, list(dims)) if dims else base
