"""The cross-encoder being trained: a one-output sequence classifier and the reranking loss.

The model is `BertForSequenceClassification` with num_labels 1 on [CLS] query [SEP] passage
[SEP] (Nogueira and Cho 2019); this module adds the loss of losses.py to its forward and saves the
classifier alone, so that the directory is what `AutoModelForSequenceClassification`,
sentence-transformers' `CrossEncoder`, `bertkit serve` (/rerank) and `bertkit search --rerank`
load. Shapes: B rows, G candidates per row, T tokens.
"""

from pathlib import Path

import torch
from torch import nn

from bertkit.model import BertForSequenceClassification
from bertkit.model.outputs import ClassifierOutput
from bertkit.tasks.rerank.losses import rerank_loss


class CrossEncoder(nn.Module):
    """`classifier(**inputs)` with the reranking loss when `labels` are given."""

    def __init__(self, classifier: BertForSequenceClassification):
        super().__init__()
        self.classifier = classifier
        self.config = classifier.config

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> ClassifierOutput:
        out = self.classifier(input_ids, token_type_ids, attention_mask)  # logits (B G, 1)
        loss = rerank_loss(out.logits, labels) if labels is not None else None
        return ClassifierOutput(out.logits, loss)

    def head_parameters(self) -> list[nn.Parameter]:
        """The scoring head: the fresh one-output classifier and the pooler that feeds it (an
        encoder trained for mean pooling leaves the pooler's outputs small, near 0.05), which
        `head_lr` trains at its own rate."""
        pooler = self.classifier.bert.pooler
        heads = [self.classifier.classifier] + ([pooler] if pooler is not None else [])
        return [p for module in heads for p in module.parameters()]

    def save_pretrained(self, path: str | Path) -> None:
        """config.json and model.safetensors of the classifier; the caller adds the tokenizer."""
        self.classifier.save_pretrained(path)
