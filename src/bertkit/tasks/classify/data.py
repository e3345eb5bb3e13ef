"""Labeled sentences and sentence pairs from TSV, CSV or JSONL files, and their model inputs.

The GLUE files are read as distributed: the header names the columns (SST-2 `sentence label`,
MRPC `Quality ... #1 String #2 String`, STS-B `... sentence1 sentence2 score`), TSV rows are split
on tabs only (quotes are text), and a UTF-8 byte-order mark is dropped. A bad row is skipped with
a message naming its file and line; a file with no usable row stops the run before training.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.tasks.batching import encoder_inputs
from bertkit.tokenizer.textfile import read_text

# Column names tried in order when none is given: GLUE's and the common generic ones.
TEXT_COLUMNS = ("sentence", "text", "sentence1", "#1 String", "question1", "question", "premise")
PAIR_COLUMNS = ("sentence2", "#2 String", "question2", "text_pair", "pair", "hypothesis")
LABEL_COLUMNS = ("label", "score", "Quality", "gold_label", "labels")


@dataclass
class Columns:
    text: str = ""  # "" = detect from the header
    pair: str = ""  # "" = detect; "-" = single sentences even if a pair column exists
    label: str = ""


@dataclass
class Example:
    text: str
    pair: str | None
    label: str  # as written in the file; mapped to an id or a float later
    line: int  # 1-based line (JSONL/TSV) or record start line (CSV) in the file


@dataclass
class ReadResult:
    examples: list[Example]
    skipped: list[str] = field(default_factory=list)  # one "file:line: why" per skipped row
    columns: Columns = field(default_factory=Columns)


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and (line, row) pairs; a row lacking columns maps them to None."""
    if not path.is_file():
        raise BertkitError(f"{path}: no such file")
    suffix = path.suffix.lower()
    text = read_text(path)
    if suffix in (".jsonl", ".json"):
        rows, header = [], {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise BertkitError(f"{path}:{number}: not a JSON object ({error.msg})") from None
            except RecursionError:
                raise BertkitError(f"{path}:{number}: JSON nested too deeply") from None
            if not isinstance(record, dict):
                raise BertkitError(f"{path}:{number}: expected a JSON object per line")
            header.update(dict.fromkeys(record))
            rows.append((number, {k: _as_text(v) for k, v in record.items()}))
        return list(header), rows
    if suffix == ".csv":
        reader = csv.reader(io.StringIO(text, newline=""))  # quoted fields may span lines
        try:
            lines = [(reader.line_num, record) for record in reader]
        except csv.Error as error:  # e.g. a field over csv.field_size_limit()
            raise BertkitError(f"{path}:{reader.line_num}: not CSV ({error})") from None
    else:  # .tsv and anything else: tabs only, quotes are part of the text (GLUE)
        lines = [(n, line.split("\t")) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, cells) for n, cells in lines if any(c.strip() for c in cells)]
    if not lines:
        return [], []
    header = [c.strip() for c in lines[0][1]]
    rows = [
        (n, {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header)})
        for n, cells in lines[1:]
    ]
    return header, rows


def resolve_columns(path: Path, header: list[str], columns: Columns) -> Columns:
    """The columns to read: the ones given, else the first known name present in the header."""

    def pick(given: str, candidates: tuple[str, ...], what: str, required: bool) -> str:
        if given == "-":
            return ""
        if given:
            if given not in header:
                raise BertkitError(f"{path}:1: no {what} column {given!r} in {header}")
            return given
        found = next((name for name in candidates if name in header), "")
        if required and not found:
            raise BertkitError(
                f"{path}:1: cannot find the {what} column in {header}; name it with --{what}-column"
            )
        return found

    return Columns(
        text=pick(columns.text, TEXT_COLUMNS, "text", True),
        pair=pick(columns.pair, PAIR_COLUMNS, "pair", False),
        label=pick(columns.label, LABEL_COLUMNS, "label", True),
    )


def read_examples(path: str | Path, columns: Columns | None = None, limit: int = 0) -> ReadResult:
    """Examples of a labeled file; rows with an empty or missing field are skipped and reported.

    Raises BertkitError when the file is empty, lacks a named column, or has no usable row.
    """
    path = Path(path)
    header, rows = read_rows(path)
    if not rows:
        raise BertkitError(f"{path}:1: empty file (a header and at least one row are needed)")
    columns = resolve_columns(path, header, columns or Columns())
    result = ReadResult([], columns=columns)
    for line, row in rows:
        wanted = [columns.text, columns.label] + ([columns.pair] if columns.pair else [])
        missing = [name for name in wanted if row.get(name) is None or not row[name].strip()]
        if missing:
            result.skipped.append(f"{path}:{line}: missing {', '.join(map(repr, missing))}")
            continue
        pair = row[columns.pair].strip() if columns.pair else None
        result.examples.append(
            Example(row[columns.text].strip(), pair, row[columns.label].strip(), line)
        )
        if limit and len(result.examples) == limit:
            break
    if not result.examples:
        raise BertkitError(f"{path}: no usable row ({result.skipped[0] if result.skipped else ''})")
    return result


def is_regression(labels: list[str]) -> bool:
    """Real-valued labels (some not integers, as STS-B's 3.800) mean regression."""
    try:
        values = [float(label) for label in labels]
    except ValueError:
        return False
    return any(not v.is_integer() for v in values)


def label_names(labels: list[str]) -> list[str]:
    """The label set in a stable order: numerically when all labels are integers, else sorted."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=lambda label: (float(label), label))
    except ValueError:
        return sorted(distinct)


@dataclass
class Feature:
    input_ids: list[int]
    token_type_ids: list[int]
    label: int | float


def encode_examples(
    tokenizer, examples: list[Example], label2id: dict[str, int] | None, max_length: int
) -> tuple[list[Feature], list[Example], list[str]]:
    """Model inputs for the examples whose label is known (`label2id=None`: regression).

    Returns the features, the examples they came from, and a message per skipped example.
    """
    features, kept, skipped = [], [], []
    for example in examples:
        if label2id is None:
            try:
                label: int | float = float(example.label)
            except ValueError:
                skipped.append(f"line {example.line}: label {example.label!r} is not a number")
                continue
        elif example.label in label2id:
            label = label2id[example.label]
        else:
            skipped.append(f"line {example.line}: label {example.label!r} was not in training")
            continue
        encoding = tokenizer.encode(
            example.text, example.pair, max_length=max_length, truncation="longest_first"
        )
        features.append(Feature(encoding.input_ids, encoding.token_type_ids, label))
        kept.append(example)
    return features, kept, skipped


def collate(features: list[Feature], pad_id: int) -> dict:
    """A padded batch with `labels` (long for classes, float for regression)."""
    batch = encoder_inputs(features, pad_id)
    is_float = isinstance(features[0].label, float)
    batch["labels"] = torch.tensor(
        [f.label for f in features], dtype=torch.float if is_float else torch.long
    )
    return batch


def _as_text(value) -> str | None:
    """A JSON value as the text a cell holds; a list stays JSON (a multi-label row's labels)."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)
