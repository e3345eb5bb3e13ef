"""The index directory: generations of files, and `manifest.json` naming the current one.

    manifest.json                 the commit point: model, vector spec, the files below, counts
    passages-000001.jsonl ...     append-only segments: {"key", "id", "text", "metadata"} per line
    vectors-000003.faiss          the FAISS index of generation 3 (vectors keyed by passage key)
    exact-000001.npy ...          IVF-PQ only: the exact vectors it re-ranks with (see exact.py)
    removed-000002.npy            keys removed so far (their segment lines stay; they are skipped)
    bm25-000003/                  the BM25 index of generation 3, when the index has one

A change writes the new generation's files under new names, then replaces manifest.json (temp name
+ rename): a reader, or a crash at any moment, sees the previous manifest with its files intact or
the new one complete. Files no manifest names are deleted after the swap. Writers take a lock.
"""

import json
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import atomic_path, write_json
from bertkit.index.corpus import Passage

MANIFEST = "manifest.json"
FORMAT = "bertkit-index"
VERSION = 1
LOCK = ".lock"


@dataclass
class Manifest:
    model: dict  # path, fingerprint and the embedding options (see fingerprint.py)
    vectors: dict  # {"file", "kind", "spec"}
    segments: list[str] = field(default_factory=list)
    removed: str | None = None
    bm25: str | None = None  # the BM25 folder, None without BM25
    generation: int = 0
    count: int = 0  # live passages
    next_key: int = 0  # the key the next passage gets
    format: str = FORMAT
    version: int = VERSION

    def files(self) -> set[str]:
        exact = [entry["file"] for entry in self.vectors.get("exact", [])]
        named = {self.vectors["file"], *self.segments, *exact, self.removed, self.bm25}
        return {name for name in named if name}


def read_manifest(directory: Path) -> Manifest:
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise BertkitError(f"{directory}: not an index directory (no {MANIFEST})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as error:
        raise BertkitError(f"{path}: not a bertkit index manifest ({error})") from None
    if manifest.format != FORMAT or manifest.version > VERSION:
        raise BertkitError(f"{path}: format {manifest.format} v{manifest.version} is not readable")
    return manifest


def generation_name(stem: str, generation: int, suffix: str = "") -> str:
    return f"{stem}-{generation:06d}{suffix}"


def write_segment(path: Path, passages: list[Passage], keys: np.ndarray) -> None:
    rows = (
        {"key": int(key), "id": p.id, "text": p.text, "metadata": p.metadata}
        for p, key in zip(passages, keys, strict=True)
    )
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_passages(directory: Path, manifest: Manifest) -> dict[int, Passage]:
    """key -> Passage of every live passage, in insertion order."""
    removed = read_removed(directory, manifest)
    passages: dict[int, Passage] = {}
    for name in manifest.segments:
        path = directory / name
        number = 0
        try:
            with path.open(encoding="utf-8") as f:
                for number, line in enumerate(f, 1):  # noqa: B007 (named in the error)
                    row = json.loads(line)
                    if row["key"] not in removed:
                        passages[row["key"]] = Passage(row["id"], row["text"], row["metadata"])
        except FileNotFoundError:
            raise BertkitError(f"{path}: missing, the index is incomplete") from None
        except (json.JSONDecodeError, KeyError, TypeError):
            raise BertkitError(f"{path}:{number}: damaged passage line") from None
    return passages


def read_removed(directory: Path, manifest: Manifest) -> set[int]:
    if manifest.removed is None:
        return set()
    return set(np.load(directory / manifest.removed, allow_pickle=False).tolist())


def write_removed(path: Path, keys: set[int]) -> None:
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        np.save(f, np.array(sorted(keys), dtype=np.int64))


def commit(directory: Path, manifest: Manifest) -> None:
    """Make `manifest` current (atomic rename), then delete the files it no longer names."""
    write_json(directory / MANIFEST, manifest.__dict__)
    sweep(directory, manifest)


def sweep(directory: Path, manifest: Manifest) -> None:
    """Delete what `manifest` does not name: old generations, debris of a crashed change."""
    keep = manifest.files() | {MANIFEST, LOCK}
    for path in directory.iterdir():
        if path.name not in keep:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


@contextmanager
def write_lock(directory: Path):
    """Hold an exclusive lock on the index directory while changing it."""
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BertkitError(f"{directory}: another process is changing this index") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
