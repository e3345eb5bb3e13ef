"""An embedding map: sentence vectors projected to 2-D by PCA (numpy SVD), with neighbours.

PCA keeps the two directions of largest variance of the centred vectors (the TensorBoard
projector's default view); neighbours are by cosine in the full space, not on the map.
"""

from dataclasses import dataclass

import numpy as np


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


@dataclass
class EmbeddingMap:
    texts: list[str]
    labels: list[str] | None
    vectors: np.ndarray  # (N, C), unit length
    mean: np.ndarray  # (C,)
    components: np.ndarray  # (2, C)
    explained: list[float]  # share of the variance along each of the two axes

    @classmethod
    def fit(cls, texts: list[str], vectors: np.ndarray, labels: list[str] | None = None):
        vectors = unit(np.asarray(vectors, dtype=np.float64))
        mean = vectors.mean(axis=0)
        _, singular, vt = np.linalg.svd(vectors - mean, full_matrices=False)
        variance = singular**2
        components = vt[:2]
        if components.shape[0] < 2:  # one text: a second, zero axis
            components = np.vstack([components, np.zeros_like(vectors[0])])
        explained = (variance[:2] / max(variance.sum(), 1e-12)).tolist()
        return cls(
            texts, labels, vectors, mean, components, explained + [0.0] * (2 - len(explained))
        )

    def place(self, vectors: np.ndarray) -> np.ndarray:
        """(N, C) vectors -> (N, 2) map coordinates."""
        return (unit(np.asarray(vectors, dtype=np.float64)) - self.mean) @ self.components.T

    def points(self) -> list[dict]:
        xy = self.place(self.vectors)
        return [
            {"x": float(x), "y": float(y), "text": text, "label": self.label(i)}
            for i, ((x, y), text) in enumerate(zip(xy, self.texts, strict=True))
        ]

    def label(self, i: int) -> str | None:
        return self.labels[i] if self.labels else None

    def neighbours(self, vector: np.ndarray, k: int, skip: int | None = None) -> list[dict]:
        """The k texts most similar (cosine) to `vector`, best first, leaving out index `skip`."""
        scores = self.vectors @ unit(np.asarray(vector, dtype=np.float64))
        order = [int(i) for i in np.argsort(-scores, kind="stable") if i != skip][:k]
        return [
            {"index": i, "text": self.texts[i], "label": self.label(i), "score": float(scores[i])}
            for i in order
        ]


def read_corpus(path) -> tuple[list[str], list[str] | None]:
    """One text per line; `text<TAB>label` lines give labels (a header row `text\\tlabel`, or
    `sentence\\tlabel` as GLUE writes it, is skipped)."""
    from pathlib import Path

    from bertkit.errors import BertkitError

    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise BertkitError(f"{path}: no texts")
    if "\t" not in lines[0]:
        return [line.strip() for line in lines], None
    rows = [line.split("\t") for line in lines]
    if rows[0][-1].strip().lower() == "label":
        rows = rows[1:]
    for n, row in enumerate(rows, 1):
        if len(row) < 2:
            raise BertkitError(f"{path}: line {n} has no tab before its label")
    return [row[0].strip() for row in rows], [row[-1].strip() for row in rows]
