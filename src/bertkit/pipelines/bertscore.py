"""score: BERTScore (Zhang et al. 2020, arXiv:1904.09675), how close a candidate text is to a
reference, token by token in contextual vector space.

Each text is tokenized ([CLS] ... [SEP], cut to the model's maximum) and run through the encoder;
the vectors of one hidden layer (`layer`, default the last) are made unit length. Every
candidate token is matched greedily to its most similar reference token and back:

    precision = sum_c w(c) max_r cos(c, r) / sum_c w(c)
    recall    = sum_r w(r) max_c cos(c, r) / sum_r w(r)
    F1        = 2 P R / (P + R)

The weights w are 1, or with `idf` the inverse document frequency of the word piece over the
references, `log((M + 1) / (m + 1))` for a piece in m of the M references (`log(M + 1)` for one
in none). [CLS] and [SEP] weigh 0 but are still candidates of the max, as the bert-score package
computes it; an empty text scores 0. A token whose cosines to every token of the other text are
negative counts 0, not its (negative) best cosine: the max is taken over the other text's tokens
and 0. The bert-score package behaves so because it takes the max over a padded batch whose
padding positions hold similarity 0 (all texts but the longest of a batch are padded), so this is
what it gives for all but those; at the last layer of all-MiniLM-L6-v2 one MRPC pair in a thousand
has such a token. The corpus score is the mean of each measure over the
pairs. Baseline rescaling (bert-score's `rescale_with_baseline`) is not done: its baselines are
tables computed per published model, which a local model directory has none of.
"""

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.pipelines.base import Pipeline, as_batch


@dataclass
class Score:
    """BERTScore of one candidate against its reference."""

    precision: float
    recall: float
    f1: float


def corpus_score(scores: list[Score]) -> Score:
    """The mean precision, recall and F1 over the pairs."""
    if not scores:
        raise BertkitError("no pairs to score")
    mean = np.mean([[s.precision, s.recall, s.f1] for s in scores], axis=0)
    return Score(*(float(v) for v in mean))


def greedy_match(
    candidate: np.ndarray, reference: np.ndarray, candidate_w: np.ndarray, reference_w: np.ndarray
) -> Score:
    """BERTScore of (M, C) candidate and (N, C) reference unit vectors with token weights."""
    if candidate_w.sum() == 0 or reference_w.sum() == 0:
        return Score(0.0, 0.0, 0.0)  # an empty text: [CLS] and [SEP] only
    similarity = candidate @ reference.T  # (M, N)
    # A token with no positive cosine to the other text counts 0 (see the module docstring).
    best_for_candidate = np.maximum(similarity.max(axis=1), 0.0)
    best_for_reference = np.maximum(similarity.max(axis=0), 0.0)
    precision = float(best_for_candidate @ candidate_w / candidate_w.sum())
    recall = float(best_for_reference @ reference_w / reference_w.sum())
    total = precision + recall
    f1 = 2 * precision * recall / total if total != 0 else 0.0
    return Score(precision, recall, f1)


def score_pairs(
    pipe: Pipeline, layer: int, idf: bool, candidates: list[str], references: list[str]
) -> list[Score]:
    """BERTScore of each candidate against its reference, with the vectors of `layer` (an index
    into the embeddings + one state per layer) of `pipe`'s encoder, cut to its `max_length`."""
    if len(candidates) != len(references):
        raise BertkitError(f"got {len(candidates)} candidates but {len(references)} references")
    if not candidates:
        return []
    # Each distinct text is encoded once (a reference list often repeats its texts).
    texts = list(dict.fromkeys(t.strip() for t in candidates + references))
    encodings = pipe.encode_truncated(texts)
    vectors = dict(zip(texts, token_vectors(pipe, encodings, layer), strict=True))
    ids = {t: e.input_ids for t, e in zip(texts, encodings, strict=True)}
    weight = idf_weights([ids[r.strip()] for r in references]) if idf else None
    special = {pipe.tokenizer.cls_token_id, pipe.tokenizer.sep_token_id}

    def weights(text: str) -> np.ndarray:
        return np.array(
            [0.0 if p in special else 1.0 if weight is None else weight(p) for p in ids[text]]
        )

    scores = []
    for cand, ref in zip(candidates, references, strict=True):
        c, r = cand.strip(), ref.strip()
        scores.append(greedy_match(vectors[c], vectors[r], weights(c), weights(r)))
    return scores


def idf_weights(references: list[list[int]]):
    """The idf of a word piece over the references (as token id lists), as a function."""
    counts = Counter(piece for pieces in references for piece in set(pieces))
    total = len(references)

    def weight(piece: int) -> float:
        return math.log((total + 1) / (counts.get(piece, 0) + 1))

    return weight


def token_vectors(pipe: Pipeline, encodings: list, layer: int) -> list[np.ndarray]:
    """(T_i, C) unit vectors of hidden layer `layer` for each encoding, [CLS] and [SEP] included."""
    is_last = layer == pipe.config.num_hidden_layers
    name = "last_hidden_state" if is_last else f"hidden_states.{layer}"

    def step(inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        hidden = pipe.runtime.run(inputs, [name])[name]  # (B, T, C)
        lengths = inputs["attention_mask"].sum(axis=1)
        rows = [hidden[i, :n] for i, n in enumerate(lengths)]
        return [r / np.maximum(np.linalg.norm(r, axis=-1, keepdims=True), 1e-12) for r in rows]

    return pipe.run_batches(encodings, step)


def check_layer(pipe: Pipeline, layer: int) -> int:
    """`layer` (negative from the end) as an index into the embeddings + one state per layer."""
    num_layers = pipe.config.num_hidden_layers
    if not -num_layers - 1 <= layer <= num_layers:
        raise BertkitError(f"layer must be in {-num_layers - 1}..{num_layers}, got {layer}")
    layer %= num_layers + 1
    if pipe.runtime.name == "onnx" and layer != num_layers:
        raise BertkitError("an exported model gives the last layer only; --runtime torch")
    return layer


class BertScorePipeline(Pipeline):
    """`score(candidates, references)` -> one `Score` per pair (one pair -> one `Score`).

    Args:
        layer: the hidden layer whose vectors are matched: 1..num_layers, or negative from the
            end (-1, the default, is the last); 0 is the embedding layer.
        idf: weigh word pieces by their inverse document frequency over the references.
        Other options as `Pipeline`.
    """

    task = "score"
    model_options = {"use_pooler": False}

    def __init__(self, model_dir: str | Path, *, layer: int = -1, idf: bool = False, **options):
        super().__init__(model_dir, **options)
        self.layer = check_layer(self, layer)
        self.idf = idf

    def __call__(  # type: ignore[override]
        self, candidates: str | list[str], references: str | list[str]
    ) -> Score | list[Score]:
        cands, is_single = as_batch(candidates)
        scores = score_pairs(self, self.layer, self.idf, cands, as_batch(references)[0])
        return scores[0] if is_single else scores
