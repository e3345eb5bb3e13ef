"""Fine-tuning heads (Devlin et al. 2018, section 4): a small layer on top of the encoder.

Sentence(-pair) classification and regression and multiple choice read the pooled [CLS] vector;
token classification (NER) and extractive question answering read every token's vector.
Every head takes `attn_backend` and `unpad` and passes them to its `BertModel`.
Shapes: B batch, T tokens, C hidden, L labels, K choices.
"""

import torch
import torch.nn.functional as F
from torch import nn

from bertkit.model.bert import BertModel, init_weights
from bertkit.model.config import BertConfig
from bertkit.model.outputs import ClassifierOutput, QuestionAnsweringOutput
from bertkit.model.pretrained import PreTrainedBert


def _classifier_dropout(config: BertConfig) -> nn.Dropout:
    p = config.classifier_dropout
    return nn.Dropout(config.hidden_dropout_prob if p is None else p)


def sequence_loss(config: BertConfig, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """MSE for regression (one output), cross-entropy for classes, BCE for multi-label."""
    problem = config.problem_type
    if problem is None:
        problem = "regression" if config.num_labels == 1 else "single_label_classification"
    if problem == "regression":
        return F.mse_loss(logits.squeeze(-1), labels.to(logits.dtype).view(-1))
    if problem == "multi_label_classification":
        return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    return F.cross_entropy(logits, labels.view(-1))


class BertForSequenceClassification(PreTrainedBert):
    """Label (or score, when num_labels == 1) a sentence or sentence pair from its [CLS] vector."""

    def __init__(self, config: BertConfig, attn_backend: str = "sdpa", unpad: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, attn_backend, unpad=unpad)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        init_weights(self.classifier, config)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> ClassifierOutput:
        out = self.bert(
            input_ids, token_type_ids, attention_mask, output_hidden_states, output_attentions
        )
        logits = self.classifier(self.dropout(out.pooler_output))  # (B, L)
        loss = sequence_loss(self.config, logits, labels) if labels is not None else None
        return ClassifierOutput(logits, loss, out.hidden_states, out.attentions)


class BertForTokenClassification(PreTrainedBert):
    """A label per token (named entities); labels of -100 (later sub-words, padding) are ignored."""

    def __init__(self, config: BertConfig, attn_backend: str = "sdpa", unpad: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, attn_backend, use_pooler=False, unpad=unpad)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        init_weights(self.classifier, config)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> ClassifierOutput:
        out = self.bert(
            input_ids, token_type_ids, attention_mask, output_hidden_states, output_attentions
        )
        logits = self.classifier(self.dropout(out.last_hidden_state))  # (B, T, L)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))
        return ClassifierOutput(logits, loss, out.hidden_states, out.attentions)


class BertForQuestionAnswering(PreTrainedBert):
    """Extractive QA: a start and an end score for every token of the context.

    At padding positions (attention_mask 0) both scores are the dtype's lowest finite value
    (`torch.finfo(dtype).min`), so a softmax gives them 0 and an argmax never picks them; the
    loss is computed before that, over the same positions as without it.
    """

    def __init__(self, config: BertConfig, attn_backend: str = "sdpa", unpad: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, attn_backend, use_pooler=False, unpad=unpad)
        self.qa = nn.Linear(config.hidden_size, 2)
        init_weights(self.qa, config)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> QuestionAnsweringOutput:
        """start_positions/end_positions: (B,) token indices of the answer span; positions
        outside the window (e.g. an answer cut off by the stride) are ignored."""
        out = self.bert(
            input_ids, token_type_ids, attention_mask, output_hidden_states, output_attentions
        )
        start_logits, end_logits = self.qa(out.last_hidden_state).unbind(
            -1
        )  # (B, T, 2) -> 2 x (B, T)
        loss = None
        if start_positions is not None and end_positions is not None:
            T = start_logits.size(1)
            # An out-of-range position becomes T, which is then ignored.
            start = start_positions.view(-1).clamp(0, T)
            end = end_positions.view(-1).clamp(0, T)
            loss = (
                F.cross_entropy(start_logits, start, ignore_index=T)
                + F.cross_entropy(end_logits, end, ignore_index=T)
            ) / 2
        if attention_mask is not None:
            # Padding holds zeros, so its logits would be the bias: a plausible score where a
            # trained model's real ones are mostly negative. The dtype's lowest value instead
            # gives 0 after softmax and is never an argmax. The loss above read the logits
            # before this, so it is what it was.
            is_pad = attention_mask == 0  # (B, T)
            lowest = torch.finfo(start_logits.dtype).min
            start_logits = start_logits.masked_fill(is_pad, lowest)
            end_logits = end_logits.masked_fill(is_pad, lowest)
        return QuestionAnsweringOutput(
            start_logits, end_logits, loss, out.hidden_states, out.attentions
        )


class BertForMultipleChoice(PreTrainedBert):
    """Score K candidate continuations: one number per (context, choice) pair, softmax over K."""

    def __init__(self, config: BertConfig, attn_backend: str = "sdpa", unpad: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, attn_backend, unpad=unpad)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, 1)
        init_weights(self.classifier, config)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
    ) -> ClassifierOutput:
        """Inputs are (B, K, T); labels (B,) is the index of the right choice."""
        B, K, T = input_ids.shape

        def flat(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.reshape(B * K, T)  # (B, K, T) -> (B*K, T)

        out = self.bert(
            flat(input_ids),
            flat(token_type_ids),
            flat(attention_mask),
            output_hidden_states,
            output_attentions,
        )
        logits = self.classifier(self.dropout(out.pooler_output)).view(B, K)  # (B*K, 1) -> (B, K)
        loss = F.cross_entropy(logits, labels.view(-1)) if labels is not None else None
        return ClassifierOutput(logits, loss, out.hidden_states, out.attentions)
