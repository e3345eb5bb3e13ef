"""The actor of the Ray job: one embed pipeline per actor, one input file -> one Parquet shard.

Ray Data hands each call a batch of input files (path + bytes, as `read_binary_files` gives them).
The actor parses the passages (inputs.py), embeds them with bertkit's embed pipeline (the model
loaded once, in the constructor), and writes the shard under a temporary name, renamed when
complete (bertkit/files.py); it answers one row per file: the shard's name, rows and digest. A bad
file is answered with its one-line error instead of an exception, so that the driver can stop
the job with that line rather than a Ray traceback; its shard is never written.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bertkit.errors import BertkitError
from bertkit.files import atomic_path
from bertkit.pipelines.embedding_shards import shard_name, text_hash, write_shard
from bertkit.ray.inputs import read_passages

RESULT_FIELDS = ("path", "file", "rows", "digest", "input_digest", "fingerprint", "dtype", "error")


@dataclass
class WorkerSettings:
    model_dir: str
    out: str
    threads: int  # torch threads per actor: its CPU share
    embed_options: dict = field(default_factory=dict)  # EmbedPipeline's keyword arguments


def shard_writer_class(settings: WorkerSettings) -> type:
    """The class Ray Data instantiates once per actor. Its settings travel inside the class
    (a closure), so the actors start without constructor arguments in the object store."""

    class ShardWriter:
        def __init__(self):
            self.worker = ShardWorker(settings)

        def __call__(self, batch: dict) -> dict:
            return self.worker.embed_files(batch)

    return ShardWriter


class ShardWorker:
    def __init__(self, settings: WorkerSettings):
        import torch

        from bertkit.pipelines.embed import EmbedPipeline
        from bertkit.pipelines.fingerprint import model_fingerprint

        torch.set_num_threads(max(1, settings.threads))
        self.out = Path(settings.out)
        self.embed = EmbedPipeline(settings.model_dir, **settings.embed_options)
        self.fingerprint = model_fingerprint(self.embed)
        self.dtype = str(self.embed.dtype).removeprefix("torch.")

    def embed_files(self, batch: dict) -> dict:
        pairs = zip(batch["path"], batch["bytes"], strict=True)
        rows = [self.embed_file(str(path), bytes(data)) for path, data in pairs]
        return {name: np.array([row[name] for row in rows]) for name in RESULT_FIELDS}

    def embed_file(self, path: str, data: bytes) -> dict:
        result = {name: "" for name in RESULT_FIELDS} | {"path": path, "rows": 0}
        result |= {"fingerprint": self.fingerprint, "dtype": self.dtype}
        try:
            ids, texts = read_passages(path, data)
            if not texts:
                raise BertkitError(f"{path}: no passage to embed")
            vectors = self.embed(texts)
            name = shard_name(path)
            with atomic_path(self.out / name) as tmp:
                digest = write_shard(tmp, ids, vectors, [text_hash(t) for t in texts])
        except BertkitError as error:
            return result | {"error": str(error)}
        input_digest = hashlib.sha256(data).hexdigest()
        return result | {
            "file": name,
            "rows": len(ids),
            "digest": digest,
            "input_digest": input_digest,
        }
