"""The architecture a pretraining run builds: a preset name or a config.json, checked against the
data it will read (its vocabulary size and sequence length).

Used by `pretrain`, the demo and the pretraining benchmarks, so that `--config mini` and
`--config path/config.json` mean the same everywhere.
"""

from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.interop.checkpoint import find_model_dir, read_json
from bertkit.interop.hf import config_from_hf
from bertkit.model import BertConfig
from bertkit.model.config import PRESETS, preset


def model_config(spec: str, vocab_size: int, max_seq_length: int) -> BertConfig:
    """The architecture named by `spec` (a preset, a config.json or a model directory), with the
    vocabulary's size."""
    if spec in PRESETS:
        config = preset(spec, vocab_size=vocab_size)
    else:
        path = Path(spec)
        if not path.exists():
            raise BertkitError(f"{spec}: neither a preset ({', '.join(PRESETS)}) nor a file")
        config_file = path if path.is_file() else find_model_dir(path) / "config.json"
        try:
            config = config_from_hf(read_json(config_file))
        except (ValueError, TypeError) as error:
            raise BertkitError(f"{config_file}: {error}") from None
        if config.vocab_size != vocab_size:
            raise BertkitError(
                f"{spec}: vocab_size {config.vocab_size} differs from the data's vocabulary "
                f"({vocab_size} tokens)"
            )
    if config.max_position_embeddings < max_seq_length:
        raise BertkitError(
            f"max_position_embeddings {config.max_position_embeddings} is shorter than the "
            f"data's sequences ({max_seq_length})"
        )
    return config
