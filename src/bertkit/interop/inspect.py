"""What a model directory holds: config.json and the weights, read without building a model.

A pipeline describes the `Checkpoint` it then builds its model from, so the weights are read once.
"""

import math
from pathlib import Path

from bertkit.interop.checkpoint import Checkpoint, read_checkpoint
from bertkit.interop.hf import from_hf
from bertkit.interop.sentence_transformers import read_layout

# Our top-level weight prefix -> the head a user knows it as.
HEAD_NAMES = {
    "pooler.": "pooler",
    "mlm.": "masked-lm",
    "nsp.": "next-sentence",
    "classifier.": "classifier",
    "qa.": "question-answering",
}


def describe_model_dir(path: Path, checkpoint: Checkpoint | None = None) -> dict:
    """Architecture, sizes, parameter count, heads present and vocabulary of a model directory.

    `checkpoint` is the directory already read (`read_checkpoint(path)`), if the caller has it.
    """
    checkpoint = checkpoint or read_checkpoint(path)
    model_dir, config = checkpoint.model_dir, checkpoint.config
    layout = read_layout(path)
    ours, unknown = from_hf(checkpoint.tensors)
    keys = [k.removeprefix("bert.") for k in ours]
    vocab_file = model_dir / "vocab.txt"
    info = {
        "path": str(path),
        "architecture": (config.get("architectures") or ["BertModel"])[0],
        "layers": config.get("num_hidden_layers"),
        "hidden_size": config.get("hidden_size"),
        "attention_heads": config.get("num_attention_heads"),
        "intermediate_size": config.get("intermediate_size"),
        "max_position_embeddings": config.get("max_position_embeddings"),
        "parameters": sum(math.prod(t.shape) for t in ours.values()),
        "dtype": str(next(t.dtype for t in ours.values() if t.is_floating_point())).split(".")[-1],
        "heads": [
            name for prefix, name in HEAD_NAMES.items() if any(k.startswith(prefix) for k in keys)
        ],
        "vocab_size": config.get("vocab_size"),
        "vocab_file_entries": _count_lines(vocab_file) if vocab_file.exists() else None,
        "unrecognised_weights": unknown,
    }
    if "id2label" in config and "classifier" in info["heads"]:
        info["labels"] = [config["id2label"][k] for k in sorted(config["id2label"], key=int)]
    if layout is not None:
        info["pooling"] = {"mode": layout.pooling.mode, "normalize": layout.pooling.normalize}
        info["max_seq_length"] = layout.max_seq_length
    return info


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)
