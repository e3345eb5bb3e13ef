"""The fingerprint of the model that embeds vectors: two vectors are comparable only when equal.

It digests what the numbers depend on: config.json, the vocabulary, the content of every weights
file (a hash of the bytes, not their dates, so a copied model keeps its fingerprint) and the
embedding options (pooling, layer, length limit). A query embedded by another model is refused.
"""

import hashlib
import json
from pathlib import Path

from bertkit.pipelines.embed import EmbedPipeline

VERSION = "1"  # bump when the embedding code changes its numbers
MODEL_FILES = ("config.json", "vocab.txt")  # tokenizer.json too, in a folder without vocab.txt
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx")


def embedding_options(embed: EmbedPipeline) -> dict:
    """The options of `embed` that change its vectors."""
    return {
        "pooling": embed.pooling,
        "normalize": True,  # indexed and query vectors are always unit length
        "layer": embed.layer,
        "max_length": embed.max_length,
        "dimension": embed.dimension,
    }


def model_fingerprint(embed: EmbedPipeline) -> str:
    """A hex digest of the model directory's content and the embedding options of `embed`."""
    return directory_fingerprint(embed.model_dir, embedding_options(embed))


def directory_fingerprint(model_dir: str | Path, options: dict) -> str:
    """The fingerprint of the model in `model_dir` with embedding `options` (the keys of
    `embedding_options`), computed from the files without loading the model."""
    digest = hashlib.sha256(VERSION.encode())
    model_dir = Path(model_dir)
    for path in sorted(model_dir.rglob("*")):  # an encoder in a sub-folder too
        vocabulary = path.name == "tokenizer.json" and not (path.parent / "vocab.txt").exists()
        if path.is_file() and (
            path.name in MODEL_FILES or path.suffix in WEIGHT_SUFFIXES or vocabulary
        ):
            digest.update(str(path.relative_to(model_dir)).encode())
            digest.update(_file_digest(path))
    wanted = {k: options[k] for k in ("pooling", "layer", "max_length", "dimension")}
    digest.update(json.dumps(wanted | {"normalize": True}, sort_keys=True).encode())
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.digest()
