"""Pretraining heads (Devlin et al. 2018, section 3.1): masked LM and next-sentence prediction.

The MLM decoder shares the token embedding matrix (Press & Wolf 2017) and adds its own bias. When
labels are given it decodes only the positions that carry one, as MosaicBERT does: the vocabulary
projection is the largest matmul of a small BERT, and ~85% of positions have no label. The logits
then hold those N positions only, in row-major (batch, then token) order, i.e. the rows of
`logits_full[labels != -100]`; without labels they cover every position, (B, T, V).
Shapes: B batch, T tokens, C hidden, V vocab, N labelled positions.
"""

import torch
import torch.nn.functional as F
from torch import nn

from bertkit.labels import IGNORE_INDEX
from bertkit.model.activations import ACTIVATIONS
from bertkit.model.bert import BertModel, init_weights
from bertkit.model.config import BertConfig
from bertkit.model.outputs import ClassifierOutput, MaskedLMOutput, PreTrainingOutput
from bertkit.model.pretrained import PreTrainedBert


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
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits and mean cross-entropy over the labelled positions (labels == -100 are ignored).

    Returns (B, T, V) logits without labels; with labels, the (N, V) logits of the N labelled
    positions in row-major order (the same loss and gradients as decoding every position).
    """
    if labels is None:
        return head(x, tok_emb), None
    selected = labels != IGNORE_INDEX  # (B, T) bool
    x, labels = x[selected], labels[selected]  # (N, C), (N,)
    logits = head(x, tok_emb)
    return logits, F.cross_entropy(logits, labels)


class BertForPreTraining(PreTrainedBert):
    """BERT with both pretraining heads; loss = MLM loss + NSP loss."""

    def __init__(self, config: BertConfig, attn_backend: str = "sdpa", unpad: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, attn_backend, unpad=unpad)
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
        """Args: labels (B, T) original ids at masked positions, -100 elsewhere (then
        `prediction_logits` is (N, V): the labelled positions only, row-major);
        next_sentence_label (B,) 0 when B is the real continuation, 1 when random."""
        out = self.bert(
            input_ids, token_type_ids, attention_mask, output_hidden_states, output_attentions
        )
        tok_emb = self.bert.embeddings.tok_emb.weight
        logits, mlm_loss = masked_lm_loss(self.mlm, out.last_hidden_state, tok_emb, labels)
        nsp_logits = self.nsp(out.pooler_output)
        nsp_loss = None
        if next_sentence_label is not None:
            nsp_loss = F.cross_entropy(nsp_logits, next_sentence_label.view(-1))
        present = [loss for loss in (mlm_loss, nsp_loss) if loss is not None]
        return PreTrainingOutput(
            prediction_logits=logits,
            seq_relationship_logits=nsp_logits,
            loss=sum(present[1:], present[0]) if present else None,
            mlm_loss=mlm_loss,
            nsp_loss=nsp_loss,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )


class BertForMaskedLM(PreTrainedBert):
    """BERT with the masked-LM head only (fill-mask, MLM-only pretraining as in RoBERTa)."""

    def __init__(self, config: BertConfig, attn_backend: str = "sdpa", unpad: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, attn_backend, use_pooler=False, unpad=unpad)
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
        logits, loss = masked_lm_loss(self.mlm, out.last_hidden_state, tok_emb, labels)
        return MaskedLMOutput(
            logits=logits, loss=loss, hidden_states=out.hidden_states, attentions=out.attentions
        )


class BertForNextSentencePrediction(PreTrainedBert):
    """BERT with the next-sentence head only: does B follow A? (`cls.seq_relationship` of any
    pretraining checkpoint). `logits` (B, 2): index 0 = B follows A, 1 = B is a random sentence."""

    def __init__(self, config: BertConfig, attn_backend: str = "sdpa", unpad: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, attn_backend, unpad=unpad)
        self.nsp = NextSentenceHead(config)
        init_weights(self.nsp, config)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> ClassifierOutput:
        """labels (B,): 0 when B is the real continuation, 1 when random (as transformers)."""
        out = self.bert(
            input_ids, token_type_ids, attention_mask, output_hidden_states, output_attentions
        )
        logits = self.nsp(out.pooler_output)  # (B, 2)
        loss = F.cross_entropy(logits, labels.view(-1)) if labels is not None else None
        return ClassifierOutput(logits, loss, out.hidden_states, out.attentions)
