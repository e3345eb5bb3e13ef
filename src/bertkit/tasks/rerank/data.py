"""Training and evaluation rows for a cross-encoder, from TSV, CSV or JSONL by column name.

Two shapes, told apart by the header:
- labeled pairs `query, passage, label`: a label of 1 (relevant) or 0, for binary cross-entropy;
- groups `query, positive, negative[, negative_2 ...]`: every column whose name starts with
  "negative" is a negative, for the listwise loss over one positive and k negatives. The files
  `bertkit mine-negatives` writes (`anchor, positive, negative_1..k`) read as they are.
A bad row stops the run with one line naming the file and line: a missing column, an empty text,
a label that is not 0 or 1, a group with no negative.
"""

from dataclasses import dataclass
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.tasks.batching import pad_stack
from bertkit.tasks.classify.data import read_rows

QUERY_COLUMNS = ("query", "anchor", "question", "sentence1")
PASSAGE_COLUMNS = ("passage", "text", "document", "context", "sentence2")
LABEL_COLUMNS = ("label", "score", "relevance")


@dataclass
class Columns:
    query: str = ""  # "" = the first of QUERY_COLUMNS in the header
    passage: str = ""  # labeled pairs: "" = the first of PASSAGE_COLUMNS
    label: str = ""  # labeled pairs: "" = the first of LABEL_COLUMNS
    positive: str = "positive"  # groups: the positive's column


@dataclass
class Group:
    """A query and its candidates; `labels[i]` is 1.0 for a relevant candidate, else 0.0."""

    query: str
    candidates: list[str]
    labels: list[float]
    line: int  # 1-based line of the (first) row in its file


@dataclass
class Rows:
    groups: list[Group]  # one per row (groups file) or per labeled pair
    path: str
    is_listwise: bool  # a groups file: candidates[0] is the positive, the rest negatives


def read_groups(path: str | Path, columns: Columns | None = None, limit: int = 0) -> Rows:
    """The rows of one file (the first `limit` when > 0); any bad row raises BertkitError.

    A labeled-pairs file gives one single-candidate Group per row (its label in `labels`).
    """
    path, columns = Path(path), columns or Columns()
    header, raw = read_rows(path)
    if not raw:
        raise BertkitError(f"{path}:1: empty file (a header and at least one row are needed)")
    query = _pick(path, header, columns.query, QUERY_COLUMNS)
    negatives = [name for name in header if name.lower().startswith("negative")]
    is_listwise = columns.positive in header
    if is_listwise:
        if not negatives:
            raise BertkitError(f"{path}:1: a {columns.positive!r} column but no negative column")
        names = [query, columns.positive, *negatives]
    else:
        names = [
            query,
            _pick(path, header, columns.passage, PASSAGE_COLUMNS),
            _pick(path, header, columns.label, LABEL_COLUMNS),
        ]
    groups = []
    for line, row in raw:
        values = [_text(path, line, row, name) for name in names]
        if is_listwise:
            groups.append(Group(values[0], values[1:], [1.0] + [0.0] * len(negatives), line))
        else:
            label = _label(path, line, values[2], names[2])
            groups.append(Group(values[0], [values[1]], [label], line))
        if limit and len(groups) == limit:
            break
    return Rows(groups, str(path), is_listwise)


def _pick(path: Path, header: list[str], given: str, names: tuple[str, ...]) -> str:
    if given:
        if given not in header:
            raise BertkitError(f"{path}:1: no column {given!r} in {header}")
        return given
    found = next((name for name in names if name in header), "")
    if not found:
        raise BertkitError(f"{path}:1: no {names[0]} column in {header} (tried {list(names)})")
    return found


def _text(path: Path, line: int, row: dict, name: str) -> str:
    value = row.get(name)
    if value is None:
        raise BertkitError(f"{path}:{line}: missing column {name!r}")
    if not value.strip():
        if name.lower().startswith("negative"):
            raise BertkitError(f"{path}:{line}: no negative ({name!r} is empty)")
        raise BertkitError(f"{path}:{line}: empty text in column {name!r}")
    return value.strip()


def _label(path: Path, line: int, text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value not in (0.0, 1.0):
        raise BertkitError(f"{path}:{line}: label {text!r} in column {name!r} is not 0 or 1")
    return value


def merge_queries(groups: list[Group]) -> list[Group]:
    """Labeled pairs gathered per query (first appearance order): the candidates to rank for it."""
    merged: dict[str, Group] = {}
    for group in groups:
        if group.query not in merged:
            merged[group.query] = Group(group.query, [], [], group.line)
        merged[group.query].candidates += group.candidates
        merged[group.query].labels += group.labels
    return list(merged.values())


@dataclass
class Feature:
    """The (query, candidate) inputs of one group, candidate by candidate, and their labels."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    labels: list[float]


def encode_groups(tokenizer, groups: list[Group], max_length: int) -> list[Feature]:
    """[CLS] query [SEP] candidate [SEP] per candidate, the longer text cut to `max_length`."""
    features = []
    for group in groups:
        encodings = [
            tokenizer.encode(group.query, c, max_length=max_length, truncation="longest_first")
            for c in group.candidates
        ]
        features.append(
            Feature(
                [e.input_ids for e in encodings],
                [e.token_type_ids for e in encodings],
                list(group.labels),
            )
        )
    return features


def collate(features: list[Feature], pad_id: int) -> dict[str, torch.Tensor]:
    """A padded (B G, T) batch of B groups of G candidates each, group by group, and `labels`:
    (B,) for single labeled pairs (G = 1), (B, G) with the positive first for groups."""
    ids = [row for f in features for row in f.input_ids]
    types = [row for f in features for row in f.token_type_ids]
    labels = torch.tensor([f.labels for f in features], dtype=torch.float)
    return {
        "input_ids": pad_stack(ids, pad_id),
        "token_type_ids": pad_stack(types, 0),
        "attention_mask": pad_stack([[1] * len(row) for row in ids], 0),
        "labels": labels.view(-1) if labels.size(1) == 1 else labels,
    }
