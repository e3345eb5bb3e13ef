"""The PyTorch runtime of the pipelines: a bertkit model on a device, numpy in and numpy out.

Same call as `OnnxRuntime.run` (see `bertkit.pipelines.runtime`); the model is built from the
directory's checkpoint (read once), runs under `torch.inference_mode`, and its outputs come back
to the CPU as float32 numpy arrays. The masked-LM head decodes only the selected positions.
"""

import os
from pathlib import Path

import numpy as np
import torch

import bertkit.model
from bertkit.errors import BertkitError
from bertkit.interop.checkpoint import load_model, read_checkpoint
from bertkit.interop.inspect import describe_model_dir
from bertkit.interop.sentence_transformers import read_layout
from bertkit.model.pooling import pool
from bertkit.model.precision import auto_precision, set_precision
from bertkit.pipelines.runtime import Pooling
from bertkit.train.device import resolve_device

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
CHOICES = (*DTYPES, "int8", "auto")
# The dtype when none is given (BERTKIT_DTYPE replaces it, e.g. float32 for fp32 references).
DEFAULT_DTYPE = "auto"


def resolve_precision(dtype: str | None, device: torch.device) -> str:
    """The precision a runtime computes in: `dtype`, or for "auto" (the default) bf16 on a GPU and
    on a CPU with hardware bf16, fp32 on other CPUs (`bertkit.model.precision.auto_precision`)."""
    if dtype is None:
        dtype = os.environ.get("BERTKIT_DTYPE") or DEFAULT_DTYPE
    if dtype not in CHOICES:
        raise BertkitError(f"dtype must be one of {', '.join(CHOICES)}, got {dtype!r}")
    if dtype == "auto":
        return "bfloat16" if device.type == "cuda" else auto_precision()
    if dtype == "int8" and device.type != "cpu":
        raise BertkitError(f"dtype int8 runs on the CPU only, not on {device.type}")
    return dtype


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
        self.precision = resolve_precision(dtype, self.device)
        self.info["precision"] = self.precision
        # On a CPU, bf16 and int8 keep fp32 weights outside the encoder's matmuls (set_precision).
        mixed = self.device.type == "cpu" and self.precision in ("bfloat16", "int8")
        load_dtype = torch.float32 if mixed else DTYPES[self.precision]
        self.dtype = torch.int8 if self.precision == "int8" else DTYPES[self.precision]
        self.model_class = getattr(bertkit.model, architecture)
        self.model = load_model(self.model_class, checkpoint, dtype=load_dtype, **model_options)
        del checkpoint  # the model holds its own copy of the weights
        self.model.to(self.device).eval()
        if mixed:
            set_precision(self.model, self.precision)

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
