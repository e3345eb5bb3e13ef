"""Pretraining heads (Devlin et al. 2018, section 3.1): masked LM and next-sentence prediction.

The MLM decoder shares the token embedding matrix (Press & Wolf 2017) and adds its own bias. With
`sparse_prediction=True` it decodes only the positions that carry a label, as MosaicBERT does: the
vocabulary projection is the largest matmul of a small BERT, and ~85% of positions have no label.
Shapes: B batch, T tokens, C hidden, V vocab, N labelled positions.
"""

import torch
import torch.nn.functional as F
from torch import nn

from bertkit.model.bert import ACTIVATIONS, BertModel, init_weights
from bertkit.model.config import BertConfig
from bertkit.model.outputs import MaskedLMOutput, PreTrainingOutput
from bertkit.model.pretrained import PreTrainedBert

IGNORE_INDEX = -100


class MaskedLMHead(nn.Module):
    """dense -> activation -> LayerNorm -> tied decoder (+ bias) over the vocabulary."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACTIVATIONS[config.hidden_act]
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, x: torch.Tensor, tok_emb: torch.Tensor) -> torch.Tensor:
        """(..., C) hidden states and the (V, C) token embedding matrix -> (..., V) logits."""
        return F.linear(self.norm(self.act(self.dense(x))), tok_emb, self.bias)


class NextSentenceHead(nn.Module):
    """2-way classifier on the pooled [CLS] vector: 0 = B follows A, 1 = B is a random sentence."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.linear = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.linear(pooled)


def masked_lm_loss(
    head: MaskedLMHead,
    x: torch.Tensor,
    tok_emb: torch.Tensor,
    labels: torch.Tensor | None,
    sparse: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits and mean cross-entropy over the labelled positions (labels == -100 are ignored).

    Returns (B, T, V) logits, or (N, V) logits of the labelled positions when `sparse`.
    """
    if labels is None:
        return head(x, tok_emb), None
    if sparse:
        selected = labels != IGNORE_INDEX  # (B, T) bool
        x, labels = x[selected], labels[selected]  # (N, C), (N,)
    logits = head(x, tok_emb)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))
    return logits, loss


class BertForPreTraining(PreTrainedBert):
    """BERT with both pretraining heads; loss = MLM loss + NSP loss."""

    def __init__(
        self, config: BertConfig, attn_backend: str = "sdpa", sparse_prediction: bool = False
    ):
        super().__init__()
        self.config = config
        self.sparse_prediction = sparse_prediction
        self.bert = BertModel(config, attn_backend)
        self.mlm = MaskedLMHead(config)
        self.nsp = NextSentenceHead(config)
        init_weights(self.mlm, config)
        init_weights(self.nsp, config)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> PreTrainingOutput:
        """Args: labels (B, T) original ids at masked positions, -100 elsewhere;
        next_sentence_label (B,) 0 when B is the real continuation, 1 when random."""
        out = self.bert(
            input_ids, token_type_ids, attention_mask, output_hidden_states, output_attentions
        )
        tok_emb = self.bert.embeddings.tok_emb.weight
        logits, mlm_loss = masked_lm_loss(
            self.mlm, out.last_hidden_state, tok_emb, labels, self.sparse_prediction
        )
        nsp_logits = self.nsp(out.pooler_output)
        nsp_loss = None
        if next_sentence_label is not None:
            nsp_loss = F.cross_entropy(nsp_logits, next_sentence_label.view(-1))
        present = [loss for loss in (mlm_loss, nsp_loss) if loss is not None]
        return PreTrainingOutput(
            prediction_logits=logits,
            seq_relationship_logits=nsp_logits,
            loss=sum(present) if present else None,
            mlm_loss=mlm_loss,
            nsp_loss=nsp_loss,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )


class BertForMaskedLM(PreTrainedBert):
    """BERT with the masked-LM head only (fill-mask, MLM-only pretraining as in RoBERTa)."""

    def __init__(
        self, config: BertConfig, attn_backend: str = "sdpa", sparse_prediction: bool = False
    ):
        super().__init__()
        self.config = config
        self.sparse_prediction = sparse_prediction
        self.bert = BertModel(config, attn_backend, use_pooler=False)
        self.mlm = MaskedLMHead(config)
        init_weights(self.mlm, config)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> MaskedLMOutput:
        out = self.bert(
            input_ids, token_type_ids, attention_mask, output_hidden_states, output_attentions
        )
        tok_emb = self.bert.embeddings.tok_emb.weight
        logits, loss = masked_lm_loss(
            self.mlm, out.last_hidden_state, tok_emb, labels, self.sparse_prediction
        )
        return MaskedLMOutput(
            logits=logits, loss=loss, hidden_states=out.hidden_states, attentions=out.attentions
        )
