"""Writing files so that a crash never leaves a half-written one behind.

Everything bertkit writes (checkpoints, vocabularies, metrics snapshots, outputs) goes to a
temporary name in the same folder and is renamed into place once complete; rename is atomic on
POSIX file systems, so readers see the old file or the new one, never a torn one. A write that
fails (disk full, I/O error) leaves the old file as it was and is one error naming the file.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bertkit.errors import BertkitError, one_line


class WriteFailed(BertkitError, OSError):
    """A file could not be written (disk full, I/O error); the old file, if any, is unchanged.
    Still an OSError (errno, strerror, filename), for callers that treat a write as optional."""

    def __init__(self, path: Path, error: OSError):
        super().__init__(error.errno, error.strerror, str(path))
        self.message = one_line(f"could not write {path}: {error.strerror or error}")

    def __str__(self) -> str:
        return self.message


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success it is fsynced and renamed to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as error:
        raise WriteFailed(path, error) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    """Atomically write `text` (UTF-8) to `path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data) -> None:
    """Atomically write `data` as indented JSON to `path`."""
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
