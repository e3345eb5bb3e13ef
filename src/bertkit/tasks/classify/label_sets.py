"""Multi-label rows: a text (or text pair) with a set of labels, from the files users have.

Three layouts, read with `data.read_rows` (TSV, CSV, JSONL):
- a JSON list per row: `{"text": "...", "labels": ["PER", "LOC"]}` (`[]`: none of the labels);
- one column of `;`-separated labels (`PER;LOC`), the separator set by `label_separator`;
- one 0/1 column per label, named by `label_columns` (the Jigsaw toxic-comment layout:
  `id, comment_text, toxic, severe_toxic, obscene, threat, insult, identity_hate`).
A row with no labels field, an empty labels cell or a label column that is not 0 or 1 stops the
run with one line naming the file and line: a multi-label file with a hole is a broken file.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.tasks.batching import encoder_inputs
from bertkit.tasks.classify.data import Columns, read_rows, resolve_columns

BINARY_VALUES = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


@dataclass
class LabelSetExample:
    text: str
    pair: str | None
    labels: list[str]  # the labels of the row, in file order, no duplicates
    line: int


@dataclass
class LabelSetFeature:
    input_ids: list[int]
    token_type_ids: list[int]
    label: list[float]  # 1.0 for each label of the row, by label id (BCE targets)


def parse_label_cell(cell: str, separator: str) -> list[str] | None:
    """`["A", "B"]` (JSON) or `A;B` -> ["A", "B"]; None when it is not a list of labels."""
    text = cell.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            return None
        labels = [str(v).strip() for v in value]
    else:
        labels = [part.strip() for part in text.split(separator)]
    labels = [label for label in labels if label]
    return list(dict.fromkeys(labels))


def read_label_sets(
    path: str | Path,
    columns: Columns,
    label_columns: list[str],
    separator: str = ";",
    limit: int = 0,
) -> tuple[list[LabelSetExample], Columns]:
    """The rows of a multi-label file and the columns read; one BertkitError naming the file and
    line for a row without labels or with a label column that is not 0/1."""
    path = Path(path)
    header, rows = read_rows(path)
    if not rows:
        raise BertkitError(f"{path}:1: empty file (a header and at least one row are needed)")
    if label_columns:
        missing = [name for name in label_columns if name not in header]
        if missing:
            raise BertkitError(f"{path}:1: no label column {missing[0]!r} in {header}")
        columns = Columns(columns.text, columns.pair, label_columns[0])
    resolved = resolve_columns(path, header, columns)
    examples = []
    for line, row in rows:
        text = row.get(resolved.text)
        if text is None or not text.strip():
            raise BertkitError(f"{path}:{line}: no text in column {resolved.text!r}")
        pair = None
        if resolved.pair:
            pair = row.get(resolved.pair)
            if pair is None or not pair.strip():
                raise BertkitError(f"{path}:{line}: no text in column {resolved.pair!r}")
            pair = pair.strip()
        if label_columns:
            labels = [name for name in label_columns if _binary(path, line, row, name)]
        else:
            cell = row.get(resolved.label)
            if cell is None or not cell.strip():
                raise BertkitError(
                    f"{path}:{line}: no label in column {resolved.label!r} (write [] for none)"
                )
            parsed = parse_label_cell(cell, separator)
            if parsed is None:
                raise BertkitError(
                    f"{path}:{line}: column {resolved.label!r} is not a list of labels: {cell!r}"
                )
            labels = parsed
        examples.append(LabelSetExample(text.strip(), pair, labels, line))
        if limit and len(examples) == limit:
            break
    return examples, resolved


def _binary(path: Path, line: int, row: dict, name: str) -> int:
    value = row.get(name)
    if value is None or value.strip().lower() not in BINARY_VALUES:
        raise BertkitError(f"{path}:{line}: label column {name!r} is {value!r}, not 0 or 1")
    return BINARY_VALUES[value.strip().lower()]


def check_labels(path: str | Path, examples: list[LabelSetExample], names: list[str]) -> None:
    """One error naming the first row with a label outside `names` (the training label set)."""
    known = set(names)
    for example in examples:
        unknown = [label for label in example.labels if label not in known]
        if unknown:
            raise BertkitError(
                f"{path}:{example.line}: label {unknown[0]!r} was not in training ({names})"
            )


def encode_label_sets(
    tokenizer, examples: list[LabelSetExample], names: list[str], max_length: int
) -> list[LabelSetFeature]:
    """Model inputs with multi-hot targets over `names` (labels outside them were checked)."""
    ids = {name: i for i, name in enumerate(names)}
    features = []
    for example in examples:
        target = [0.0] * len(names)
        for label in example.labels:
            target[ids[label]] = 1.0
        encoding = tokenizer.encode(
            example.text, example.pair, max_length=max_length, truncation="longest_first"
        )
        features.append(LabelSetFeature(encoding.input_ids, encoding.token_type_ids, target))
    return features


def collate_label_sets(features: list[LabelSetFeature], pad_id: int) -> dict:
    """A padded batch with `labels` (B, L) float: the BCE targets."""
    batch = encoder_inputs(features, pad_id)
    batch["labels"] = torch.tensor([f.label for f in features], dtype=torch.float)
    return batch
