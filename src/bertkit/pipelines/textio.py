"""Inputs and outputs of the pipeline commands: a file of one input per line in, JSON lines out.

Every line of an input file is one input (an empty line too, so outputs line up with inputs);
a tab splits a line into a text pair where a command takes pairs. Outputs are written whole to a
temporary name and renamed (`bertkit.files`), or printed when no output file is given.
"""

import dataclasses
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import atomic_path, write_text
from bertkit.tokenizer.textfile import iter_lines


def read_inputs(texts: list[str] | None, path: str | Path | None) -> list[str]:
    """The texts given on the command line, or the lines of `path` (`-` is standard input)."""
    if texts and path:
        raise BertkitError("give texts on the command line or --input FILE, not both")
    if texts:
        return list(texts)
    if not path:
        raise BertkitError("nothing to do: give a text or --input FILE")
    if str(path) == "-":
        lines = sys.stdin.read().splitlines()
    else:
        lines = list(iter_lines(Path(path)))
    if not lines:
        raise BertkitError(f"{path}: empty input file")
    return lines


def split_pairs(lines: list[str], where: str) -> tuple[list[str], list[str] | None]:
    """Lines "text<TAB>pair" -> (texts, pairs); lines without tabs -> (lines, None)."""
    has_tab = ["\t" in line for line in lines]
    if not any(has_tab):
        return lines, None
    if not all(has_tab):
        number = has_tab.index(False) + 1
        raise BertkitError(f"{where}:{number}: no tab, but other lines are text<TAB>pair")
    texts, pairs = zip(*(line.split("\t", 1) for line in lines), strict=True)
    return list(texts), list(pairs)


def read_qa_inputs(
    questions: list[str] | None,
    context: str | None,
    context_file: str | Path | None,
    path: str | Path | None,
) -> tuple[list[str], list[str]]:
    """(questions, contexts): questions with one context (text or file), or a JSON-lines file
    of {"question": ..., "context": ...} objects."""
    if path:
        if questions or context is not None or context_file:
            raise BertkitError("give --input FILE or questions with a context, not both")
        rows = []
        for number, line in enumerate(read_inputs(None, path), 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise BertkitError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(row, dict) or not all(
                isinstance(row.get(key), str) for key in ("question", "context")
            ):
                raise BertkitError(f'{path}:{number}: expected {{"question": ..., "context": ...}}')
            rows.append((row["question"], row["context"]))
        return [q for q, _ in rows], [c for _, c in rows]
    if not questions:
        raise BertkitError("nothing to do: give a QUESTION and --context, or --input FILE")
    if context_file:
        context = "\n".join(iter_lines(Path(context_file)))
    if context is None:
        raise BertkitError("give the context: --context TEXT or --context-file FILE")
    return list(questions), [context]


def to_plain(value):
    """Pipeline results (dataclasses, lists, numpy) -> JSON-ready dicts, lists and numbers."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_jsonl(rows: Iterable, path: str | Path | None = None) -> None:
    """One JSON value per row, to `path` (atomically) or to standard output."""
    text = "".join(json.dumps(to_plain(row), ensure_ascii=False) + "\n" for row in rows)
    if path is None or str(path) == "-":
        sys.stdout.write(text)
    else:
        write_text(path, text)


def write_npy(array: np.ndarray, path: str | Path) -> None:
    """Save an array as .npy, atomically (the name is kept as given)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, array)
