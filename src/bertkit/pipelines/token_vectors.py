"""Token and word vectors: one contextual vector per token (or word) of a text, with its span.

The feature-based use of BERT (Devlin et al. 2018, section 5.3): the hidden states of chosen
layers, combined per token; concatenating the last four layers came closest to fine-tuning on
CoNLL-2003 NER (96.1 dev F1 against 96.4). Every token of the model input is returned, [CLS] and
[SEP] included (spans (0, 0)), as transformers' feature-extraction pipeline and TEI's
`/embed_all` return them. With `words`, the word pieces of each word are averaged into one vector
and the special tokens are left out. Shapes: B batch, T tokens, C hidden, K layers.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bertkit.errors import BertkitError

COMBINE_MODES = ("concat", "sum", "mean")


@dataclass
class TokenVectors:
    """One text's tokens (or words), their character spans in the text, and their vectors."""

    tokens: list[str]  # word pieces as the vocabulary writes them ("##ing"), or whole words
    offsets: list[tuple[int, int]]  # text[start:end] is the token; (0, 0) for [CLS]/[SEP]
    vectors: np.ndarray  # (n, C), or (n, K*C) when K layers are concatenated

    def to_dict(self) -> dict:
        """A JSON-ready form: {"tokens", "offsets", "vectors"}."""
        return {
            "tokens": self.tokens,
            "offsets": [list(span) for span in self.offsets],
            "vectors": self.vectors.tolist(),
        }


def parse_layers(spec: str | Sequence[int]) -> list[int]:
    """ "-1,-2,-3,-4" (or a list of ints) -> [-1, -2, -3, -4]."""
    if isinstance(spec, str):
        try:
            layers = [int(part) for part in spec.split(",")]
        except ValueError:
            raise BertkitError(f"layers {spec!r}: expected integers such as -1,-2,-3,-4") from None
    else:
        layers = [int(layer) for layer in spec]
    if not layers:
        raise BertkitError("layers: name at least one layer")
    return layers


def layer_indices(layers: Sequence[int], num_layers: int) -> list[int]:
    """Layer numbers (-1 the last, 0 the embeddings, k layer k) -> indices into the
    num_layers + 1 hidden states; one out of range is an error naming the range."""
    indices = []
    for layer in layers:
        if not -num_layers - 1 <= layer <= num_layers:
            raise BertkitError(f"layer must be in {-num_layers - 1}..{num_layers}, got {layer}")
        indices.append(layer % (num_layers + 1))
    if len(set(indices)) != len(indices):
        raise BertkitError(f"layers {list(layers)} name a layer twice")
    return indices


def combine_layers(states: list[np.ndarray], combine: str) -> np.ndarray:
    """K arrays (..., C) -> (..., K*C) concatenated in the order given, or their sum or mean."""
    if combine == "concat":
        return np.concatenate(states, axis=-1)
    stacked = np.stack(states)  # (K, ..., C)
    return stacked.sum(0) if combine == "sum" else stacked.mean(0)


def word_vectors(text: str, encoding, vectors: np.ndarray) -> TokenVectors:
    """The mean of each word's piece vectors, the word as written in `text` and its span."""
    words: dict[int, list[int]] = {}
    for position, word in enumerate(encoding.word_ids):
        if word is not None and encoding.sequence_ids[position] == 0:
            words.setdefault(word, []).append(position)
    offsets = [(encoding.offsets[p[0]][0], encoding.offsets[p[-1]][1]) for p in words.values()]
    if not words:
        return TokenVectors([], [], np.zeros((0, vectors.shape[-1]), dtype=np.float32))
    means = np.stack([vectors[p].mean(0) for p in words.values()])
    return TokenVectors([text[s:e] for s, e in offsets], offsets, means.astype(np.float32))


def token_vectors(text: str, encoding, vectors: np.ndarray) -> TokenVectors:
    """Every token of the model input with its span and its (n, C) vector."""
    n = len(encoding.input_ids)
    return TokenVectors(list(encoding.tokens), list(encoding.offsets), vectors[:n])


def run_token_vectors(
    pipe,
    texts: list[str],
    encodings: list,
    layers: Sequence[int] = (-1,),
    combine: str = "concat",
    words: bool = False,
) -> list[TokenVectors]:
    """Token (or word) vectors of `texts` from a pipeline's runtime, given their encodings (cut
    to the pipeline's `max_length`)."""
    if combine not in COMBINE_MODES:
        raise BertkitError(f"combine must be one of {', '.join(COMBINE_MODES)}, got {combine!r}")
    num_layers = pipe.config.num_hidden_layers
    indices = layer_indices(layers, num_layers)
    # The last layer is `last_hidden_state`, the one output an exported graph has.
    names = ["last_hidden_state" if i == num_layers else f"hidden_states.{i}" for i in indices]
    if pipe.runtime.name == "onnx" and names != ["last_hidden_state"]:
        raise BertkitError("an exported model gives the last layer only; --runtime torch")

    def step(inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        out = pipe.runtime.run(inputs, names)
        combined = combine_layers([out[name] for name in names], combine)  # (B, T, C')
        return list(combined)

    per_text = pipe.run_batches(encodings, step)
    build = word_vectors if words else token_vectors
    return [build(t, e, v) for t, e, v in zip(texts, encodings, per_text, strict=True)]
