"""fill-mask: the top-k tokens, with probabilities, for every [MASK] in a text.

The masked-LM head decodes the [MASK] positions only (as the MLM loss does in pretraining), and a
softmax over the whole vocabulary gives each token's probability, as HF's `FillMaskPipeline`.
Works from any checkpoint with a masked-LM head (`BertForMaskedLM`, `BertForPreTraining`).
"""

from dataclasses import dataclass
from typing import overload

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch
from bertkit.tasks.classify.decode import softmax, top_k
from bertkit.tokenizer import Encoding


@dataclass
class MaskPrediction:
    token: str  # the vocabulary entry ("##s" for a word piece)
    token_id: int
    score: float  # probability in [0, 1]


# One list of top-k predictions per [MASK] of a text, in text order.
MaskPredictions = list[list[MaskPrediction]]


class FillMaskPipeline(Pipeline):
    """`fill_mask("The bank is on the [MASK] of the river.")` -> [[MaskPrediction, ...]].

    A text without [MASK] or longer than the model's maximum is an error: truncating it could
    drop the very mask asked about.
    """

    task = "fill-mask"
    model_class = "BertForMaskedLM"
    required_head = "masked-lm"
    head_hint = "; `bertkit pretrain` writes one, as does any BertForMaskedLM"

    @overload
    def __call__(self, texts: str, top_k: int = 5) -> MaskPredictions: ...
    @overload
    def __call__(self, texts: list[str], top_k: int = 5) -> list[MaskPredictions]: ...
    def __call__(
        self, texts: str | list[str], top_k: int = 5
    ) -> MaskPredictions | list[MaskPredictions]:
        """Top-k predictions per [MASK]; for a list of texts, a list of those."""
        if top_k <= 0:
            raise BertkitError(f"top_k must be positive, got {top_k}")
        batch, is_single = as_batch(texts)
        results = self.predict_encodings(self.encode_masked(batch, is_single), top_k)
        return results[0] if is_single else results

    def encode_masked(self, texts: list[str], is_single: bool = False) -> list[Encoding]:
        """The texts' encodings, each checked to hold a mask and fit the model (tokenizing only:
        the half of the work that needs no model, which a server does off its model thread)."""
        mask = self.tokenizer.mask_token
        encodings = self.tokenizer.encode_batch(texts)
        for i, encoding in enumerate(encodings):
            where = f"input {i + 1}" if not is_single else "the input"
            if self.tokenizer.mask_token_id not in encoding.input_ids:
                raise BertkitError(f"{where} has no {mask} token: write {mask} where a word goes")
            if len(encoding.input_ids) > self.max_length:
                raise BertkitError(
                    f"{where} has {len(encoding.input_ids)} tokens, more than this model's "
                    f"maximum of {self.max_length}: shorten the text around the {mask}"
                )
        return encodings

    def predict_encodings(self, encodings: list[Encoding], top_k: int) -> list[MaskPredictions]:
        """Top-k predictions per mask of each encoding (`encode_masked`): the model's half."""
        if top_k <= 0:
            raise BertkitError(f"top_k must be positive, got {top_k}")
        k = min(top_k, self.tokenizer.vocab_size)
        return self.run_batches(encodings, lambda inputs: self._predict(inputs, k))

    def _predict(self, inputs: dict[str, np.ndarray], k: int) -> list[MaskPredictions]:
        is_mask = inputs["input_ids"] == self.tokenizer.mask_token_id  # (B, T)
        # (N, V) logits of the N masks in the batch, row-major order
        logits = self.runtime.run(inputs, ["logits"], select=is_mask)["logits"]
        values, indices = top_k(softmax(logits), k)
        ids, scores = indices.tolist(), values.tolist()
        per_mask = [
            [
                MaskPrediction(self.tokenizer.convert_ids_to_tokens(i), i, p)
                for i, p in zip(row_ids, row_scores, strict=True)
            ]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]
        counts = is_mask.sum(axis=1).tolist()  # masks per row, in row order as boolean indexing
        rows, start = [], 0
        for count in counts:
            rows.append(per_mask[start : start + count])
            start += count
        return rows
