"""The bi-encoder being trained: a BERT encoder, its pooling, and the loss over the pooled vectors.

One forward encodes every text of a batch (anchors, positives, negatives, role by role; see
data.collate) and, when asked, returns the loss. `save_pretrained` writes a sentence-transformers
directory (interop/sentence_transformers.py) that `SentenceTransformer(dir)`, `bertkit embed`,
`bertkit serve`, `bertkit index` and `bertkit export onnx` load as it is.
Shapes: N texts, T tokens, C hidden.
"""

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from bertkit.interop.checkpoint import save_model
from bertkit.interop.sentence_transformers import (
    SentenceLayout,
    load_sentence_model,
    read_layout,
    write_layout,
)
from bertkit.model import BertModel
from bertkit.model.pooling import PoolingConfig, pool
from bertkit.tasks.batching import pad_stack
from bertkit.tasks.embed.losses import Loss
from bertkit.train.dist import gather_rows


@dataclass
class EmbedOutput:
    embeddings: torch.Tensor  # (N, C) pooled (and normalised when the layout says so)
    loss: torch.Tensor | None = None


class SentenceEncoder(nn.Module):
    """`bert` + pooling; `loss` over the B rows of `num_roles` texts each (None: encode only)."""

    def __init__(
        self, bert: BertModel, layout: SentenceLayout, loss: Loss | None = None, num_roles: int = 2
    ):
        super().__init__()
        self.bert, self.layout, self.loss, self.num_roles = bert, layout, loss, num_roles
        self.config = bert.config

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(N, T) token ids and mask -> (N, C) sentence vectors."""
        hidden = self.bert(input_ids, attention_mask=attention_mask).last_hidden_state
        return pool(hidden, attention_mask, self.layout.pooling.mode, self.layout.pooling.normalize)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        scores: torch.Tensor | None = None,
        compute_loss: bool = True,
    ) -> EmbedOutput:
        embeddings = self.embed(input_ids, attention_mask)
        if not compute_loss or self.loss is None:
            return EmbedOutput(embeddings)
        return EmbedOutput(embeddings, self.compute_loss(embeddings, scores))

    def compute_loss(self, embeddings: torch.Tensor, scores: torch.Tensor | None) -> torch.Tensor:
        """The loss of this process's rows; under torchrun, of every process's rows, gathered
        role by role, so that in-batch negatives (and CoSENT's pairs) span the global batch."""
        assert self.loss is not None
        roles = [gather_rows(role) for role in split_roles(embeddings, self.num_roles)]
        return self.loss(roles, None if scores is None else gather_rows(scores))

    def save_pretrained(self, path: str | Path) -> None:
        """The encoder (config.json, model.safetensors) and the sentence-transformers modules;
        the caller adds the tokenizer (vocab.txt)."""
        save_model(self.bert, Path(path))
        write_layout(self.layout, Path(path), self.config.hidden_size)


def split_roles(embeddings: torch.Tensor, num_roles: int) -> list[torch.Tensor]:
    """(R B, C) role by role -> R tensors of (B, C)."""
    return list(embeddings.chunk(num_roles))


def load_encoder(path: str | Path, unpad: bool, max_seq_length: int, normalize: bool | None):
    """(BertModel, SentenceLayout) of a sentence-transformers directory (its pooling kept) or of a
    plain BERT directory (mean pooling). `normalize` None keeps what the directory declares."""
    path = Path(path)
    if read_layout(path) is not None:
        bert, _, layout = load_sentence_model(path, unpad=unpad, use_pooler=False)
    else:
        bert = BertModel.from_pretrained(path, unpad=unpad, use_pooler=False)
        layout = SentenceLayout(pooling=PoolingConfig(mode="mean"))
    if normalize is not None:
        layout.pooling.normalize = normalize
    layout.max_seq_length = min(max_seq_length, layout.max_seq_length or max_seq_length)
    return bert, layout


@torch.no_grad()
def encode(
    model: SentenceEncoder, texts: list[list[int]], pad_id: int, batch_size: int
) -> torch.Tensor:
    """(N, C) float32 vectors of token-id lists, in their order (run shortest first: little
    padding)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), model.config.hidden_size)
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        rows = [texts[i] for i in indices]
        ids = pad_stack(rows, pad_id).to(device)
        mask = pad_stack([[1] * len(r) for r in rows], 0).to(device)
        out[indices] = model.embed(ids, mask).float().cpu()
    model.train(was_training)
    return out
