"""The base class of every BERT model: parameters, and loading/saving in the Hugging Face layout.

The checkpoint code lives in `bertkit.interop`; it is imported inside the methods so that the model
package itself depends on torch alone.
"""

from pathlib import Path

import torch
from torch import nn

from bertkit.model.config import BertConfig


class PreTrainedBert(nn.Module):
    """A module built from a `BertConfig` that can be saved and loaded as a model directory."""

    config: BertConfig

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        attn_backend: str = "sdpa",
        unpad: bool = True,
        dtype: torch.dtype | None = None,
        **config_overrides,
    ):
        """Load a model directory (config.json + model.safetensors or pytorch_model.bin).

        Heads that the checkpoint lacks (a fresh classifier on a pretrained encoder) are initialised
        and reported in one log line; anything else that does not fit is an error.
        `config_overrides` change config fields before the model is built (e.g. `num_labels=3`).
        `attn_backend` and `unpad` are the constructor's runtime choices (unpadding on by default).
        """
        from bertkit.interop.checkpoint import load_model

        return load_model(
            cls, Path(path), attn_backend=attn_backend, unpad=unpad, dtype=dtype, **config_overrides
        )

    def save_pretrained(self, path: str | Path) -> None:
        """Write config.json and model.safetensors with Hugging Face names into `path`."""
        from bertkit.interop.checkpoint import save_model

        save_model(self, Path(path))

    def num_parameters(self) -> int:
        """Number of distinct parameters (a tied matrix counts once)."""
        return sum(p.numel() for p in self.parameters())
