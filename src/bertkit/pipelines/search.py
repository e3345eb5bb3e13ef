"""search: the top-k passages of a corpus for a query, by cosine similarity of embeddings.

A corpus file holds one passage per line (blank lines are skipped). Its embeddings are computed
once and cached next to it, in `<corpus>.embeddings.npz`, under a key made of the corpus bytes, the
model (config.json, and the weights files' sizes and modification times) and the embedding
options; when any of them changes the cache is recomputed, so it is never stale.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import atomic_path
from bertkit.pipelines.base import as_batch
from bertkit.pipelines.embed import EmbedPipeline, unit
from bertkit.tokenizer.textfile import iter_lines

logger = logging.getLogger(__name__)

CACHE_SUFFIX = ".embeddings.npz"
CACHE_VERSION = "1"  # bump when the cache layout or the embedding code changes its numbers


@dataclass
class Hit:
    text: str
    score: float  # cosine similarity with the query
    index: int  # passage number in the corpus, from 0
    line: int | None  # line in the corpus file, from 1; None for a corpus given as a list


class SearchPipeline(EmbedPipeline):
    """`search("how do I sort a list?", k=3)` -> the 3 closest passages of the corpus.

    Args:
        corpus: a text file (one passage per line) or a list of passages.
        use_cache: keep the corpus embeddings in `<corpus>.embeddings.npz` (files only).
        Other options as `EmbedPipeline`.
    """

    task = "search"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        corpus: str | Path | list[str],
        use_cache: bool = True,
        **options,
    ):
        super().__init__(model_dir, **options)
        if isinstance(corpus, (str, Path)):
            self.corpus_path: Path | None = Path(corpus)
            numbered = [
                (n, line) for n, line in enumerate(iter_lines(Path(corpus)), 1) if line.strip()
            ]
            self.lines: list[int | None] = [n for n, _ in numbered]
            self.passages = [line for _, line in numbered]
        else:
            self.corpus_path, self.passages = None, list(corpus)
            self.lines = [None] * len(self.passages)
        if not self.passages:
            raise BertkitError(f"{corpus if self.corpus_path else 'corpus'}: no passage to search")
        if self.corpus_path is not None and use_cache:
            self.embeddings = self._cached_embeddings(self.corpus_path)
        else:
            self.embeddings = unit(super().__call__(self.passages))

    @overload
    def __call__(self, queries: str, k: int = 5) -> list[Hit]: ...
    @overload
    def __call__(self, queries: list[str], k: int = 5) -> list[list[Hit]]: ...
    def __call__(self, queries: str | list[str], k: int = 5) -> list[Hit] | list[list[Hit]]:
        """The k best passages per query, best first."""
        if k <= 0:
            raise BertkitError(f"k must be positive, got {k}")
        batch, is_single = as_batch(queries)
        scores = unit(super().__call__(batch)) @ self.embeddings.T  # (Q, P)
        k = min(k, len(self.passages))
        results = []
        for row in scores:
            best = np.argsort(-row, kind="stable")[:k]
            results.append(
                [Hit(self.passages[i], float(row[i]), int(i), self.lines[i]) for i in best]
            )
        return results[0] if is_single else results

    def cache_key(self, corpus_path: Path) -> str:
        """A digest of everything the corpus embeddings depend on."""
        digest = hashlib.sha256(CACHE_VERSION.encode())
        digest.update(corpus_path.read_bytes())
        encoder_dir = self.runtime.tokenizer_dir  # the folder of config.json and the weights
        for path in sorted(encoder_dir.iterdir()):
            if path.name == "config.json":
                digest.update(path.read_bytes())
            elif path.suffix in (".safetensors", ".bin"):
                stat = path.stat()
                digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        options = [self.pooling, self.normalize, self.layer, self.max_length, str(self.dtype)]
        digest.update(json.dumps(options).encode())
        return digest.hexdigest()

    def _cached_embeddings(self, corpus_path: Path) -> np.ndarray:
        cache = corpus_path.with_name(corpus_path.name + CACHE_SUFFIX)
        key = self.cache_key(corpus_path)
        if cache.exists():
            try:
                with np.load(cache) as stored:
                    if str(stored["key"]) == key:
                        logger.info("corpus embeddings: read from %s", cache)
                        return stored["embeddings"]
            except (OSError, ValueError, KeyError):
                pass  # unreadable or from another version: recompute and overwrite
        embeddings = unit(super().__call__(self.passages)).astype(np.float32)
        try:
            with atomic_path(cache) as tmp, open(tmp, "wb") as f:
                np.savez(f, key=np.array(key), embeddings=embeddings)
            logger.info("corpus embeddings: %d passages, cached in %s", len(embeddings), cache)
        except OSError as error:
            logger.warning("corpus embeddings not cached (%s: %s)", cache, error.strerror)
        return embeddings
