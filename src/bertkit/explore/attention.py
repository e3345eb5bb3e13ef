"""The attention probabilities of every layer and head for one text (or pair), from the eager
attention on the padded path: the same numbers as transformers' `output_attentions`.

Shapes: L layers, H heads, T tokens.
"""

from pathlib import Path

import torch

from bertkit.interop.checkpoint import find_model_dir
from bertkit.model import BertModel
from bertkit.tokenizer import WordPieceTokenizer


class AttentionModel:
    """`attention(text, pair)` -> {"tokens", "segments", "attentions" [L][H][T][T], ...}.

    The probabilities exist only in the eager attention, which needs the padded path, so the
    encoder is built with both explicitly (whatever the directory's head, only the encoder runs).
    """

    def __init__(self, model_dir: str | Path, device: str | None = None):
        self.model_dir = Path(model_dir)
        self.tokenizer = WordPieceTokenizer.from_pretrained(find_model_dir(self.model_dir))
        self.model = BertModel.from_pretrained(
            self.model_dir, attn_backend="eager", unpad=False, use_pooler=False
        )
        self.device = torch.device(device or "cpu")
        self.model.to(self.device).eval()

    @property
    def max_tokens(self) -> int:
        return self.model.config.max_position_embeddings

    def __call__(
        self,
        text: str,
        pair: str | None = None,
        max_tokens: int | None = None,
        decimals: int | None = None,
    ) -> dict:
        """Tokens and probabilities; an input over `max_tokens` is cut to it ("truncated": true
        and "num_tokens" says how many the whole input has)."""
        limit = min(max_tokens or self.max_tokens, self.max_tokens)
        pairs = None if pair is None else [pair]
        (full,) = self.tokenizer.encode_batch([text], pairs)
        encoding = full
        if len(full.input_ids) > limit:
            (encoding,) = self.tokenizer.encode_batch([text], pairs, max_length=limit)
        input_ids = torch.tensor([encoding.input_ids], device=self.device)  # (1, T)
        token_type_ids = torch.tensor([encoding.token_type_ids], device=self.device)
        with torch.inference_mode():
            out = self.model(input_ids, token_type_ids, output_attentions=True)
        probs = torch.stack(out.attentions)[:, 0].float().cpu()  # L x (1, H, T, T) -> (L, H, T, T)
        if decimals is not None:
            probs = probs.round(decimals=decimals)
        return {
            "tokens": encoding.tokens,
            "segments": encoding.token_type_ids,
            "attentions": probs.tolist(),
            "num_tokens": len(full.input_ids),
            "truncated": len(full.input_ids) > limit,
            "layers": probs.shape[0],
            "heads": probs.shape[1],
        }
