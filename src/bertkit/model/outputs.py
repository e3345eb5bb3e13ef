"""What the models return: dataclasses with the field names users know from Hugging Face.

Shapes: B batch, T tokens, C hidden, V vocab, L labels, N masked positions.
"""

from dataclasses import dataclass

import torch

Tensors = tuple[torch.Tensor, ...]


@dataclass
class BertOutput:
    last_hidden_state: torch.Tensor  # (B, T, C)
    pooler_output: torch.Tensor | None = None  # (B, C): tanh(W h_[CLS]); None without a pooler
    hidden_states: Tensors | None = None  # embeddings + one per layer, each (B, T, C)
    attentions: Tensors | None = None  # one per layer, each (B, H, T, T)


@dataclass
class PreTrainingOutput:
    # (B, T, V); with labels (N, V): the N labelled positions only, row-major order
    prediction_logits: torch.Tensor
    seq_relationship_logits: torch.Tensor  # (B, 2): 0 = B follows A, 1 = B is random
    loss: torch.Tensor | None = None  # mlm_loss + nsp_loss, over the labels given
    mlm_loss: torch.Tensor | None = None
    nsp_loss: torch.Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class MaskedLMOutput:
    logits: torch.Tensor  # (B, T, V); with labels (N, V), as PreTrainingOutput.prediction_logits
    loss: torch.Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class ClassifierOutput:
    """Sequence (B, L), token (B, T, L) and multiple-choice (B, num_choices) heads."""

    logits: torch.Tensor
    loss: torch.Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class QuestionAnsweringOutput:
    start_logits: torch.Tensor  # (B, T)
    end_logits: torch.Tensor  # (B, T)
    loss: torch.Tensor | None = None  # mean of the start and end cross-entropies
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None
