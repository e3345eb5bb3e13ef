"""Training and evaluation rows for sentence embeddings, from TSV, CSV or JSONL by column name.

Three shapes, told apart by the header:
- pairs `anchor, positive`: a query and a text it should find (in-batch negatives);
- triplets or more `anchor, positive, negative[, negative_2 ...]`: every column whose name starts
  with "negative" is a given negative, and every row must have the same number of them;
- scored pairs `sentence1, sentence2, score`: STS-B's GLUE TSV reads as it is, its 0-5 scores
  divided by `max_score` into [0, 1].
Unlike classification, a bad row stops the run with one line naming the file and line: a missing
column, an empty text, a score that is not a number in [0, max_score], a triplet with no negative.
"""

from dataclasses import dataclass
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.tasks.batching import pad_stack
from bertkit.tasks.classify.data import read_rows


@dataclass
class Columns:
    anchor: str = ""  # "" = anchor (sentence1 in a file with a score column)
    positive: str = ""  # "" = positive (sentence2 in a file with a score column)
    score: str = ""  # "" = score when the header has it; "-" = none


@dataclass
class Row:
    texts: tuple[str, ...]  # anchor, positive, negatives...
    score: float | None  # in [0, 1] for scored pairs, else None
    line: int  # 1-based line in its file


@dataclass
class Rows:
    rows: list[Row]
    path: str
    num_negatives: int
    is_scored: bool


def read_rows_of(
    path: str | Path, columns: Columns, max_score: float = 5.0, limit: int = 0
) -> Rows:
    """The rows of one file (the first `limit` when > 0); any bad row raises BertkitError."""
    path = Path(path)
    header, raw = read_rows(path)
    if not raw:
        raise BertkitError(f"{path}:1: empty file (a header and at least one row are needed)")
    score = _pick(path, header, columns.score, ("score", "label"), required=False)
    anchor_names = ("anchor", "sentence1", "query", "question") if score else ("anchor", "query")
    positive_names = ("positive", "sentence2", "passage", "context") if score else ("positive",)
    anchor = _pick(path, header, columns.anchor, anchor_names, required=True)
    positive = _pick(path, header, columns.positive, positive_names, required=True)
    negatives = [name for name in header if name.lower().startswith("negative")]
    if score and negatives:
        raise BertkitError(f"{path}:1: a file has either a score column or negatives, not both")
    rows = []
    for line, row in raw:
        texts = []
        for name in (anchor, positive, *negatives):
            value = row.get(name)
            if value is None:
                raise BertkitError(f"{path}:{line}: missing column {name!r}")
            if not value.strip():
                if name in negatives and name == negatives[0]:
                    raise BertkitError(f"{path}:{line}: triplet with no negative ({name!r} empty)")
                raise BertkitError(f"{path}:{line}: empty text in column {name!r}")
            texts.append(value.strip())
        rows.append(Row(tuple(texts), _score(path, line, row, score, max_score), line))
        if limit and len(rows) == limit:
            break
    return Rows(rows, str(path), len(negatives), bool(score))


def _pick(path: Path, header: list[str], given: str, names: tuple[str, ...], required: bool):
    if given == "-":
        return ""
    if given:
        if given not in header:
            raise BertkitError(f"{path}:1: no column {given!r} in {header}")
        return given
    found = next((name for name in names if name in header), "")
    if required and not found:
        raise BertkitError(f"{path}:1: no {names[0]} column in {header} (tried {list(names)})")
    return found


def _score(path: Path, line: int, row: dict, column: str, max_score: float) -> float | None:
    if not column:
        return None
    text = row.get(column)
    if text is None or not text.strip():
        raise BertkitError(f"{path}:{line}: missing score in column {column!r}")
    try:
        value = float(text)
    except ValueError:
        raise BertkitError(f"{path}:{line}: score {text.strip()!r} is not a number") from None
    if not 0 <= value <= max_score:
        raise BertkitError(f"{path}:{line}: score {value:g} outside 0..{max_score:g}")
    return value / max_score


@dataclass
class Feature:
    """The token ids of a row's texts (anchor, positive, negatives...) and its score."""

    texts: tuple[str, ...]  # as read: the NO_DUPLICATES sampler compares them
    input_ids: list[list[int]]
    score: float | None


def encode_rows(tokenizer, rows: Rows, max_length: int) -> list[Feature]:
    """Each text encoded alone, [CLS] text [SEP], cut to `max_length` tokens."""
    flat = [text for row in rows.rows for text in row.texts]
    encodings = tokenizer.encode_batch(flat, max_length=max_length)
    width = 2 + rows.num_negatives
    features = []
    for i, row in enumerate(rows.rows):
        ids = [e.input_ids for e in encodings[i * width : (i + 1) * width]]
        features.append(Feature(row.texts, ids, row.score))
    return features


def collate(features: list[Feature], pad_id: int) -> dict[str, torch.Tensor]:
    """One padded (R * B, T) batch of every text, role by role: the B anchors, then the B
    positives, then the B first negatives, ... (R roles); `scores` (B,) for scored pairs."""
    num_roles = len(features[0].input_ids)
    ids = [f.input_ids[r] for r in range(num_roles) for f in features]
    batch = {
        "input_ids": pad_stack(ids, pad_id),
        "attention_mask": pad_stack([[1] * len(row) for row in ids], 0),
    }
    if features[0].score is not None:
        batch["scores"] = torch.tensor([f.score for f in features], dtype=torch.float)
    return batch


def read_texts(path: str | Path, column: str = "text") -> list[str]:
    """Passages of a corpus file: one per line (.txt), or the `column` of a TSV/CSV/JSONL file."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        if not path.is_file():
            raise BertkitError(f"{path}: no such file")
        return [
            line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    header, raw = read_rows(path)
    if column not in header:
        raise BertkitError(f"{path}:1: no column {column!r} in {header}")
    texts = []
    for line, row in raw:
        value = row.get(column)
        if value is None or not value.strip():
            raise BertkitError(f"{path}:{line}: empty text in column {column!r}")
        texts.append(value.strip())
    return texts
