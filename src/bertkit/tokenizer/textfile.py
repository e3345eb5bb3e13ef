"""Reading UTF-8 text files line by line, with errors that name the file and the line.

Used for vocab files, training corpora and CLI input. Lines are streamed, so memory does not grow
with the file; a missing file or undecodable bytes raise one `BertkitError` line.
"""

from collections.abc import Iterator
from pathlib import Path

from bertkit.errors import BertkitError


def iter_lines(path: Path) -> Iterator[str]:
    """Yield the lines of `path` without their line ending ("\\n" or "\\r\\n")."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise BertkitError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BertkitError(f"{path}: is a directory, expected a text file") from None
    with handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                bad = raw[error.start : error.start + 1].hex()
                raise BertkitError(
                    f"{path}:{number}: not UTF-8 (byte 0x{bad} at column {error.start + 1})"
                ) from None
            if number == 1 and line.startswith("\ufeff"):  # UTF-8 byte order mark
                line = line[1:]
            yield line.rstrip("\n").removesuffix("\r")
