"""The PyTorch runtime of the pipelines: a bertkit model on a device, numpy in and numpy out.

Same call as `OnnxRuntime.run` (see `bertkit.pipelines.runtime`); the model is built from the
directory's checkpoint (read once), runs under `torch.inference_mode`, and its outputs come back
to the CPU as float32 numpy arrays. The masked-LM head decodes only the selected positions.
"""

from pathlib import Path

import numpy as np
import torch

import bertkit.model
from bertkit.errors import BertkitError
from bertkit.interop.checkpoint import load_model, read_checkpoint
from bertkit.interop.inspect import describe_model_dir
from bertkit.interop.sentence_transformers import read_layout
from bertkit.model.pooling import pool
from bertkit.pipelines.runtime import Pooling
from bertkit.train.device import resolve_device

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_dtype(dtype: str | None, device: torch.device) -> torch.dtype:
    """bf16 on a GPU (half the memory, same range as fp32), fp32 elsewhere, unless asked."""
    if dtype is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise BertkitError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return DTYPES[dtype]


class TorchRuntime:
    """A bertkit model (`architecture`, e.g. "BertForSequenceClassification") on a device."""

    name = "torch"

    def __init__(
        self,
        model_dir: Path,
        architecture: str,
        model_options: dict,
        device: str | None,
        dtype: str | None,
    ):
        checkpoint = read_checkpoint(model_dir)  # the weights are read once, here
        self.info = describe_model_dir(model_dir, checkpoint)
        self.info["runtime"] = "torch"
        self.tokenizer_dir = checkpoint.model_dir
        layout = read_layout(model_dir)  # None for a plain (not sentence-transformers) directory
        self.pooling = Pooling(layout.pooling.mode, layout.pooling.normalize) if layout else None
        self.max_seq_length = layout.max_seq_length if layout else None
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.model_class = getattr(bertkit.model, architecture)
        self.model = load_model(self.model_class, checkpoint, dtype=self.dtype, **model_options)
        del checkpoint  # the model holds its own copy of the weights
        self.model.to(self.device).eval()

    def run(
        self,
        inputs: dict[str, np.ndarray],
        outputs: list[str],
        select: np.ndarray | None = None,
        pooling: Pooling | None = None,
    ) -> dict[str, np.ndarray]:
        """As `OnnxRuntime.run`; `hidden_states.K` is also an output here (layer K's states)."""
        batch = {k: torch.from_numpy(v).to(self.device) for k, v in inputs.items()}
        with torch.inference_mode():
            values = self._forward(batch, outputs, select, pooling)
        return {name: values[name].float().cpu().numpy() for name in outputs}

    def _forward(self, batch, outputs, select, pooling) -> dict[str, torch.Tensor]:
        model = self.model
        if select is not None and hasattr(model, "mlm"):
            # Decode the selected positions only: the vocabulary projection is the largest matmul.
            hidden = model.bert(**batch).last_hidden_state  # (B, T, C)
            keep = torch.from_numpy(select).to(self.device)
            tok_emb = model.bert.embeddings.tok_emb.weight
            return {"logits": model.mlm(hidden[keep], tok_emb)}  # (N, V)
        layers = [int(n.split(".")[1]) for n in outputs if n.startswith("hidden_states.")]
        out = model(**batch, output_hidden_states=bool(layers))
        values = {}
        for name in outputs:
            if name.startswith("hidden_states."):
                values[name] = out.hidden_states[int(name.split(".")[1])]
            elif name == "sentence_embedding":
                hidden = out.last_hidden_state.float()
                mode, normalize = pooling.mode, pooling.normalize
                values[name] = pool(hidden, batch["attention_mask"], mode, normalize)
            elif hasattr(out, name):
                values[name] = getattr(out, name)
            else:
                raise BertkitError(f"a {type(model).__name__} has no output {name}")
            if select is not None and values[name].dim() >= 2:
                values[name] = values[name][torch.from_numpy(select).to(self.device)]
        return values
