"""Hard negatives for (anchor, positive) pairs, mined from a corpus with the index's search.

For each pair the anchor is searched (dense, BM25 or their hybrid, see searcher.py) and the
candidates ranked in positions [range_start, range_end) become its negatives, the top k of them,
after two filters, as sentence-transformers' `mine_hard_negatives` does:
- the positive itself (a passage with the positive's text) is removed before counting positions;
- a candidate whose cosine with the anchor (the embedding model's, for every method) exceeds
  the positive's cosine minus `margin` is skipped: scored that close to (or above) the positive,
  it is likely an unlabeled positive, a false negative (an absolute margin, ST's
  `absolute_margin`).
A pair left with fewer than k negatives is dropped (counted in the summary), so every row has
k negatives. Rows are (anchor, positive, negative_1..negative_k): JSONL, TSV or CSV by the output
suffix, the layout the embed and rerank tasks read; the file is written atomically.
"""

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import write_text
from bertkit.index.build import build_index
from bertkit.index.searcher import MODES, IndexSearcher
from bertkit.index.vectors import all_vectors
from bertkit.pipelines.embed import unit
from bertkit.progress import progress_bar
from bertkit.tasks.embed.data import Columns, read_rows_of


@dataclass
class MiningConfig:
    num_negatives: int = 5  # k negatives per pair
    range_start: int = 10  # first candidate position taken (0-based, the positive not counted)
    range_end: int = 50  # positions from range_start up to (not including) this one
    method: str = "dense"  # dense, bm25 or hybrid (reciprocal-rank fusion of both)
    margin: float = 0.05  # skip candidates with cos(anchor, c) > cos(anchor, positive) - margin
    batch_size: int = 64  # anchors searched at a time

    def __post_init__(self) -> None:
        if self.method not in MODES:
            raise BertkitError(f"method must be one of {', '.join(MODES)}, not {self.method!r}")
        if self.num_negatives <= 0 or self.batch_size <= 0:
            raise BertkitError("num_negatives and batch_size must be positive")
        if not 0 <= self.range_start < self.range_end:
            raise BertkitError(
                f"range must be START,END with 0 <= START < END, got "
                f"{self.range_start},{self.range_end}"
            )


def mine_negatives(
    pairs: str | Path,
    out: str | Path,
    config: MiningConfig,
    *,
    model_dir: str | Path | None = None,
    corpus: list[str | Path] | None = None,
    index: str | Path | None = None,
    **embed_options,
) -> dict:
    """Mine negatives for the (anchor, positive) rows of `pairs` and write them to `out`.

    The candidates come from `index` (a directory from `build_index`) or from a temporary index
    of the `corpus` files embedded with `model_dir`. Returns a summary (counts per outcome).
    """
    if (index is None) == (corpus is None):
        raise BertkitError("give either a corpus (with a model) or a built index")
    rows = read_rows_of(pairs, Columns(score="-"))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mining-", dir=Path(out).parent) as scratch:
        if index is None:
            if model_dir is None:
                raise BertkitError("mining a corpus needs the embedding model (--model DIR)")
            index = Path(scratch) / "index"
            build_index(
                model_dir, list(corpus or []), index, use_bm25=config.method != "dense",
                **embed_options,
            )  # fmt: skip
        searcher = IndexSearcher(index, model_dir=model_dir, **embed_options)
        mined, summary = _mine(searcher, [row.texts[:2] for row in rows.rows], config)
    written = [r for r in mined if r is not None]
    write_rows(Path(out), written)
    return {"pairs": len(rows.rows), "written": len(written), **summary, "out": str(out)}


def _mine(
    searcher: IndexSearcher, pairs: list[tuple[str, ...]], config: MiningConfig
) -> tuple[list, dict]:
    vectors, keys = all_vectors(searcher.index)
    row_of = {int(key): i for i, key in enumerate(keys.tolist())}
    key_of = {passage.id: key for key, passage in searcher.passages.items()}
    key_of_text = {passage.text.strip(): key for key, passage in searcher.passages.items()}
    counts = {"skipped_positive": 0, "skipped_margin": 0, "too_few": 0}
    mined = []
    bar = progress_bar(total=len(pairs), desc="mine", unit="pair")
    for start in range(0, len(pairs), config.batch_size):
        batch = pairs[start : start + config.batch_size]
        anchors, positives = [a for a, _ in batch], [p for _, p in batch]
        anchor_vectors = unit(searcher.embed(anchors)).astype(np.float32)
        positive_vectors = _positive_vectors(searcher, positives, vectors, row_of, key_of_text)
        depth = config.range_end + 1  # one more: the positive may be among them
        hits = searcher.search_many(anchors, depth, mode=config.method, depth=max(depth, 100))
        for i, (anchor, positive) in enumerate(batch):
            threshold = float(anchor_vectors[i] @ positive_vectors[i]) - config.margin
            ranked = [h for h in hits[i] if h.text.strip() != positive]
            counts["skipped_positive"] += len(hits[i]) - len(ranked)
            negatives = []
            for hit in ranked[config.range_start : config.range_end]:
                vector = vectors[row_of[int(key_of[hit.id])]]
                if float(anchor_vectors[i] @ vector) > threshold:
                    counts["skipped_margin"] += 1
                    continue
                negatives.append(hit.text)
                if len(negatives) == config.num_negatives:
                    break
            if len(negatives) < config.num_negatives:
                counts["too_few"] += 1
                mined.append(None)
            else:
                mined.append((anchor, positive, *negatives))
        bar.update(len(batch))
    bar.close()
    return mined, counts


def _positive_vectors(searcher, positives, vectors, row_of, key_of_text) -> np.ndarray:
    """Unit vectors of the positives: the index's own for a passage of the corpus (no second
    embedding of a long passage), embedded for the others."""
    out = np.zeros((len(positives), vectors.shape[1]), dtype=np.float32)
    missing = [i for i, text in enumerate(positives) if text not in key_of_text]
    for i, text in enumerate(positives):
        if text in key_of_text:
            out[i] = vectors[row_of[int(key_of_text[text])]]
    if missing:
        out[missing] = unit(searcher.embed([positives[i] for i in missing])).astype(np.float32)
    return out


def write_rows(path: Path, rows: list[tuple[str, ...]]) -> None:
    """(anchor, positive, negative_1..k) rows as JSONL, or TSV/CSV with a header."""
    if not rows:
        raise BertkitError(f"{path}: no pair kept enough negatives to write (widen --range)")
    names = ["anchor", "positive"] + [f"negative_{j}" for j in range(1, len(rows[0]) - 1)]
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        text = "".join(
            json.dumps(dict(zip(names, r, strict=True)), ensure_ascii=False) + "\n" for r in rows
        )
    elif suffix == ".csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([names, *rows])
        text = buffer.getvalue()
    elif suffix == ".tsv":  # tabs only split the columns: a tab or line break in a text is a space
        lines = ["\t".join(names)]
        lines += ["\t".join(" ".join(t.split()) for t in r) for r in rows]
        text = "\n".join(lines) + "\n"
    else:
        raise BertkitError(f"{path}: write .jsonl, .tsv or .csv")
    write_text(path, text)
