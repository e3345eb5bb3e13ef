"""The lexical side of the index: BM25 (Robertson & Zaragoza 2009) through `bm25s`.

Words are lowercased and English stop words dropped (bm25s' tokenizer); the index is saved as
plain arrays and JSON (`bm25s` never unpickles), with the passage key of every document beside it.
It is rebuilt over the live passages at each change: BM25's document frequencies are global.
"""

import logging
import shutil
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError

KEYS_FILE = "keys.npy"


def import_bm25s():
    try:
        import bm25s
    except ImportError:
        raise BertkitError("BM25 needs bm25s: pip install 'bertkit[index]' (or bm25s)") from None
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each step at DEBUG
    return bm25s


class Bm25:
    """A BM25 index over passages; `search` gives (keys, scores) of the passages sharing words."""

    def __init__(self, retriever, keys: np.ndarray):
        self.retriever = retriever
        self.keys = keys

    @classmethod
    def build(cls, texts: list[str], keys: np.ndarray) -> "Bm25":
        bm25s = import_bm25s()
        tokens = bm25s.tokenize(texts, stopwords="en", show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever, np.asarray(keys, dtype=np.int64))

    def save(self, directory: Path) -> None:
        """Write to `directory` through a temporary folder renamed into place."""
        tmp = directory.with_name(f".{directory.name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self.retriever.save(str(tmp))
        np.save(tmp / KEYS_FILE, self.keys)
        tmp.rename(directory)

    @classmethod
    def load(cls, directory: Path) -> "Bm25":
        bm25s = import_bm25s()
        try:
            retriever = bm25s.BM25.load(str(directory))
            keys = np.load(directory / KEYS_FILE, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise BertkitError(f"{directory}: unreadable BM25 index ({error})") from None
        return cls(retriever, keys)

    def search(self, queries: list[str], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query, (keys, scores) of at most k passages with a positive score, best first."""
        bm25s = import_bm25s()
        k = min(k, len(self.keys))
        tokens = bm25s.tokenize(queries, stopwords="en", return_ids=False, show_progress=False)
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False)
        results = []
        for row_docs, row_scores in zip(docs, scores, strict=True):
            hit = row_scores > 0
            results.append((self.keys[row_docs[hit]], row_scores[hit]))
        return results
