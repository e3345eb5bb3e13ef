"""Passages to index, read from text (one per line), JSON lines or CSV files.

- `.txt` (or any other suffix): one passage per non-blank line; its id is `<file name>:<line>`.
- `.jsonl`: one object per line with a string `text`, an optional `id` (string or integer) and an
  optional `metadata` object; any other field is kept in the metadata too.
- `.csv`: a header row with a `text` column, an optional `id` column; other columns are metadata.

A bad file stops the read with one line naming the file, the line and the field.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.tokenizer.textfile import iter_lines, read_text


@dataclass
class Passage:
    id: str
    text: str
    metadata: dict = field(default_factory=dict)


def read_passages(paths: list[str | Path]) -> list[Passage]:
    """Every passage of every file, in order; ids must be unique across the files."""
    passages: list[Passage] = []
    where: dict[str, str] = {}
    for path in map(Path, paths):
        readers = {".jsonl": _read_jsonl, ".csv": _read_csv}
        for line, passage in readers.get(path.suffix.lower(), _read_text)(path):
            if passage.id in where:
                raise BertkitError(
                    f"{path}:{line}: id {passage.id!r} already used at {where[passage.id]}"
                )
            where[passage.id] = f"{path}:{line}"
            passages.append(passage)
    if not passages:
        raise BertkitError(f"{', '.join(map(str, paths)) or 'corpus'}: no passage to index")
    return passages


def _read_text(path: Path):
    for number, line in enumerate(iter_lines(path), 1):
        if line.strip():
            yield number, Passage(f"{path.name}:{number}", line)


def _read_jsonl(path: Path):
    for number, line in enumerate(iter_lines(path), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise BertkitError(f"{path}:{number}: not JSON ({error.msg})") from None
        if not isinstance(row, dict):
            raise BertkitError(f"{path}:{number}: expected an object with a 'text' field")
        yield number, _passage(dict(row), path, number)


def _read_csv(path: Path):
    reader = csv.reader(io.StringIO(read_text(path), newline=""))  # quoted fields may span lines
    try:
        header = next(reader, None)
        if header is None:
            raise BertkitError(f"{path}: empty CSV file")
        if "text" not in header:
            raise BertkitError(f"{path}:1: no 'text' column (columns: {', '.join(header)})")
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise BertkitError(
                    f"{path}:{number}: {len(row)} fields, the header has {len(header)}"
                )
            yield number, _passage(dict(zip(header, row, strict=True)), path, number)
    except csv.Error as error:
        raise BertkitError(f"{path}:{reader.line_num}: bad CSV ({error})") from None


def _passage(row: dict, path: Path, number: int) -> Passage:
    """A JSON object or CSV row -> Passage; other fields than id/text/metadata join metadata."""
    text = row.pop("text", None)
    if not isinstance(text, str) or not text.strip():
        raise BertkitError(f"{path}:{number}: field 'text' must be a non-empty string")
    id_ = row.pop("id", None)
    if id_ is None or id_ == "":
        id_ = f"{path.name}:{number}"
    elif isinstance(id_, bool) or not isinstance(id_, (str, int)):
        raise BertkitError(f"{path}:{number}: field 'id' must be a string or an integer")
    metadata = row.pop("metadata", None) or {}
    if not isinstance(metadata, dict):
        raise BertkitError(f"{path}:{number}: field 'metadata' must be an object")
    return Passage(str(id_), text, {**metadata, **row})
