"""Reading UTF-8 text files line by line, with errors that name the file and the line.

Used for vocab files, training corpora, labeled task files and CLI input. Lines are streamed, so
memory does not grow with the file; a missing file or undecodable bytes raise one `BertkitError`
line naming the file, the line and the column.
"""

from collections.abc import Iterator
from pathlib import Path

from bertkit.errors import BertkitError


def _open(path: Path):
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise BertkitError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BertkitError(f"{path}: is a directory, expected a text file") from None
    except PermissionError:
        raise BertkitError(f"{path}: permission denied") from None


def _not_utf8(path: Path, data: bytes, line_start: int, number: int, bad: int) -> BertkitError:
    """The error for the undecodable byte `data[bad]` of line `number`, which starts at
    `line_start`."""
    byte, column = data[bad : bad + 1].hex(), bad - line_start + 1
    return BertkitError(f"{path}:{number}: not UTF-8 (byte 0x{byte} at column {column})")


def read_text(path: Path) -> str:
    """The whole of `path` as text (a UTF-8 byte order mark dropped); undecodable bytes raise a
    `BertkitError` naming the line and column."""
    path = Path(path)
    with _open(path) as handle:
        data = handle.read().removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        raise _not_utf8(path, data, start, data.count(b"\n", 0, start) + 1, error.start) from None


def iter_lines(path: Path) -> Iterator[str]:
    """Yield the lines of `path` without their line ending ("\\n" or "\\r\\n")."""
    path = Path(path)
    with _open(path) as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _not_utf8(path, raw, 0, number, error.start) from None
            if number == 1 and line.startswith("\ufeff"):  # UTF-8 byte order mark
                line = line[1:]
            yield line.rstrip("\n").removesuffix("\r")
