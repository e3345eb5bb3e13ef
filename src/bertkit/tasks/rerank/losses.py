"""Cross-encoder losses: plain functions of the relevance logits, each a mean over the B rows.

Shapes: B rows (labeled pairs, or groups of G candidates: one positive and G - 1 negatives).
"""

import torch
import torch.nn.functional as F


def binary_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Pointwise loss on labeled pairs (Nogueira and Cho 2019, "Passage Re-ranking with BERT"):

        L = -1/B sum_i [ y_i log sigmoid(z_i) + (1 - y_i) log(1 - sigmoid(z_i)) ]

    with z_i the pair's logit (B,) and y_i in {0, 1} its label (B,).
    """
    return F.binary_cross_entropy_with_logits(logits.view(-1), labels.to(logits.dtype).view(-1))


def listwise_softmax(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy over each group (Gao, Dai and Callan 2021, "Rethink Training of BERT
    Rerankers in Multi-Stage Retrieval Pipeline", the localized contrastive estimation loss):

        L = -1/B sum_i log( exp(z_i,p) / sum_{j=1..G} exp(z_i,j) )

    with z_i,j the logit of row i's candidate j, (B, G), and p the positive's position, the 1 in
    row i of `labels` (B, G).
    """
    scores = logits.view(labels.shape)  # (B G, 1) -> (B, G)
    return F.cross_entropy(scores, labels.argmax(dim=-1))


def rerank_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy for labeled pairs (labels (B,)), the listwise loss for groups
    (labels (B, G))."""
    if labels.dim() == 1:
        return binary_cross_entropy(logits, labels)
    return listwise_softmax(logits, labels)
