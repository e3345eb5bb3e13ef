"""The job's inputs: which files a pattern names, and the passages (id, text) in a file's bytes.

- `.jsonl`: one object per line with a string `text` and an optional `id` (string or integer).
- `.parquet`: a `text` column and an optional `id` column.
- `.txt` (or any other suffix): one passage per non-blank line.
A passage without an id gets `FILE:LINE` (the file's name, the 1-based line or row number).
A bad file is one `BertkitError` naming the file and the line.
"""

import glob
import json
from dataclasses import dataclass
from pathlib import Path

from bertkit.errors import BertkitError


@dataclass
class InputFile:
    path: str
    size: int
    mtime_ns: int


def expand_inputs(patterns: list[str]) -> list[InputFile]:
    """The files the glob patterns name, each pattern's matches sorted, duplicates once."""
    files: list[InputFile] = []
    seen: set[str] = set()
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True))
        matches = [m for m in matches if Path(m).is_file()]
        if not matches:
            raise BertkitError(f"{pattern}: no input file matches")
        for match in matches:
            path = str(Path(match).resolve())
            if path not in seen:
                seen.add(path)
                stat = Path(path).stat()
                files.append(InputFile(path, stat.st_size, stat.st_mtime_ns))
    return files


def read_passages(path: str, data: bytes) -> tuple[list[str], list[str]]:
    """(ids, texts) of the file `path` whose content is `data`, in file order."""
    if Path(path).suffix.lower() == ".parquet":
        return _read_parquet(path, data)
    is_jsonl = Path(path).suffix.lower() == ".jsonl"
    name = Path(path).name
    ids: list[str] = []
    texts: list[str] = []
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1):
        try:
            line = raw.decode("utf-8").removesuffix("\r")
        except UnicodeDecodeError as error:
            raise BertkitError(
                f"{path}:{number}: not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                f"{error.start + 1})"
            ) from None
        if not line.strip():
            continue
        if is_jsonl:
            id_, text = _json_passage(line, path, number)
        else:
            id_, text = None, line
        ids.append(f"{name}:{number}" if id_ is None else id_)
        texts.append(text)
    return ids, texts


def _json_passage(line: str, path: str, number: int) -> tuple[str | None, str]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise BertkitError(f"{path}:{number}: not JSON ({error.msg})") from None
    if not isinstance(row, dict):
        raise BertkitError(f"{path}:{number}: expected an object with a 'text' field")
    return _passage(row.get("text"), row.get("id"), f"{path}:{number}")


def _passage(text, id_, where: str) -> tuple[str | None, str]:
    if not isinstance(text, str) or not text.strip():
        raise BertkitError(f"{where}: field 'text' must be a non-empty string")
    if id_ is None or id_ == "":
        return None, text
    if isinstance(id_, bool) or not isinstance(id_, (str, int)):
        raise BertkitError(f"{where}: field 'id' must be a string or an integer")
    return str(id_), text


def _read_parquet(path: str, data: bytes) -> tuple[list[str], list[str]]:
    from bertkit.pipelines.embedding_shards import import_pyarrow

    pa = import_pyarrow()
    try:
        table = pa.parquet.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowException) as error:
        raise BertkitError(f"{path}: not a readable Parquet file ({error})") from None
    if "text" not in table.column_names:
        raise BertkitError(f"{path}: no 'text' column (columns: {', '.join(table.column_names)})")
    texts = table.column("text").to_pylist()
    given = table.column("id").to_pylist() if "id" in table.column_names else [None] * len(texts)
    name = Path(path).name
    ids: list[str] = []
    kept: list[str] = []
    for number, (text, id_) in enumerate(zip(texts, given, strict=True), 1):
        id_, text = _passage(text, id_, f"{path}: row {number}")
        ids.append(f"{name}:{number}" if id_ is None else id_)
        kept.append(text)
    return ids, kept
