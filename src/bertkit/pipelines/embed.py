"""embed and similarity: one vector per text, and the cosine similarity of texts.

The pooling is the one the model directory declares (a sentence-transformers `modules.json`:
all-MiniLM-L6-v2 is mean pooling + L2 normalisation), else mean pooling; any of mean, [CLS] and
max can be asked for, from any layer. Texts are cut to the directory's `max_seq_length`
(sentence_bert_config.json) as sentence-transformers does, else to the model's maximum.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, overload

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch
from bertkit.pipelines.runtime import POOLING_MODES, Pooling, pool_numpy
from bertkit.pipelines.token_vectors import TokenVectors, parse_layers, run_token_vectors


class EmbedPipeline(Pipeline):
    """`embed(["a sentence", ...])` -> (N, C) float32 array; one text -> (C,).

    Args:
        pooling: "mean", "cls" or "max"; None is what the directory declares, else "mean".
        normalize: L2-normalise each vector; None is what the directory declares, else False.
        layer: which hidden state to pool: -1 the last layer, 0 the embeddings, k layer k.
        Other options as `Pipeline`.
    """

    task = "embed"
    model_options = {"use_pooler": False}  # sentence vectors come from the token vectors

    def __init__(
        self,
        model_dir: str | Path,
        *,
        pooling: str | None = None,
        normalize: bool | None = None,
        layer: int = -1,
        **options,
    ):
        if pooling is not None and pooling not in POOLING_MODES:
            raise BertkitError(f"pooling must be one of {POOLING_MODES}, not {pooling!r}")
        super().__init__(model_dir, **options)
        # What a sentence-transformers layout declares; None for a plain directory.
        declared = self.runtime.pooling
        self.pooling = pooling or (declared.mode if declared else "mean")
        if normalize is None:
            normalize = declared is not None and declared.normalize
        self.normalize = normalize
        num_layers = self.config.num_hidden_layers
        if not -num_layers - 1 <= layer <= num_layers:
            raise BertkitError(f"layer must be in {-num_layers - 1}..{num_layers}, got {layer}")
        if self.runtime.name == "onnx" and layer not in (-1, num_layers):
            raise BertkitError("an exported model gives the last layer only; --runtime torch")
        self.layer = layer % (num_layers + 1)  # index into embeddings + one state per layer
        self.is_last_layer = self.layer == num_layers

    def default_max_length(self) -> int:
        """sentence-transformers' `max_seq_length` when the directory sets one."""
        limit = super().default_max_length()
        return min(limit, self.runtime.max_seq_length or limit)

    @property
    def dimension(self) -> int:
        return self.config.hidden_size

    @overload
    def __call__(self, texts: str | list[str], tokens: Literal[False] = False) -> np.ndarray: ...

    @overload
    def __call__(
        self, texts: str | list[str], tokens: Literal[True], **token_options
    ) -> TokenVectors | list[TokenVectors]: ...

    def __call__(self, texts: str | list[str], tokens: bool = False, **token_options):
        """Embeddings in input order: (N, C) float32, or (C,) for one text. With `tokens`, the
        per-token vectors of each text instead (`token_vectors`, which takes `token_options`)."""
        if tokens or token_options:
            return self.token_vectors(texts, **token_options)
        batch, is_single = as_batch(texts)
        if not batch:
            return np.zeros((0, self.dimension), dtype=np.float32)
        array = self.embed_encodings(self.encode_truncated(batch))
        return array[0] if is_single else array

    def token_vectors(
        self,
        texts: str | list[str],
        words: bool = False,
        layers: str | Sequence[int] = (-1,),
        combine: str = "concat",
    ) -> TokenVectors | list[TokenVectors]:
        """Each text's contextual token vectors with the tokens and their character spans;
        `words` averages each word's pieces; `layers` ("-1,-2,-3,-4") are combined by
        `combine` (concat, sum, mean). See `bertkit.pipelines.token_vectors`."""
        batch, is_single = as_batch(texts)
        encodings = self.encode_truncated(batch) if batch else []
        results = run_token_vectors(self, batch, encodings, parse_layers(layers), combine, words)
        return results[0] if is_single else results

    def embed_encodings(self, encodings: list) -> np.ndarray:
        """(N, C) float32 vectors of inputs already tokenized and cut to `max_length` (as
        `encode_truncated` gives them): the model step of `__call__`, for callers that tokenize
        elsewhere (the server tokenizes off its model thread)."""
        if not encodings:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(self.run_batches(encodings, self._pool))

    def _pool(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        pooling = Pooling(self.pooling, self.normalize)
        if self.is_last_layer:
            out = self.runtime.run(inputs, ["sentence_embedding"], pooling=pooling)
            return list(out["sentence_embedding"])  # B x (C,)
        name = f"hidden_states.{self.layer}"
        hidden = self.runtime.run(inputs, [name])[name]  # (B, T, C)
        return list(pool_numpy(hidden, inputs["attention_mask"], pooling))


def unit(vectors: np.ndarray) -> np.ndarray:
    """Each row divided by its L2 norm (a zero row stays zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (N, C) arrays -> (N,)."""
    return (unit(a) * unit(b)).sum(axis=-1)


class SimilarityPipeline(EmbedPipeline):
    """`similarity("a", "b")` -> cosine of their embeddings; lists give one score per pair."""

    task = "similarity"

    def __call__(
        self, texts: str | list[str], pairs: str | list[str] | None = None
    ) -> float | list[float]:
        """Cosine similarity of each text with its pair, in [-1, 1]."""
        if pairs is None:
            raise BertkitError("similarity needs texts and pairs: similarity(a, b)")
        batch, is_single = as_batch(texts)
        pair_batch = as_batch(pairs)[0]
        if len(batch) != len(pair_batch):
            raise BertkitError(f"got {len(batch)} texts but {len(pair_batch)} pairs")
        vectors = super().__call__(batch + pair_batch)
        scores = cosine(vectors[: len(batch)], vectors[len(batch) :]).tolist()
        return scores[0] if is_single else scores

    def matrix(self, texts: list[str], others: list[str] | None = None) -> np.ndarray:
        """(N, M) cosine similarities of every text with every other (or with itself)."""
        a = super().__call__(list(texts))
        b = a if others is None else super().__call__(list(others))
        return unit(a) @ unit(b).T
