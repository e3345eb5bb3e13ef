"""Model directories in the Hugging Face layout: config.json + model.safetensors (+ vocab.txt).

Reads `model.safetensors`, sharded `model.safetensors.index.json`, or `pytorch_model.bin` (with
`torch.load(weights_only=True)`, which never runs pickled code), once, into a `Checkpoint` that
describing a directory and building a model both use. In a sentence-transformers directory the
encoder is the folder `modules.json` names (the rest of that layout is
`bertkit.interop.sentence_transformers`). Every problem is one `BertkitError` line.
"""

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.files import atomic_path, write_json
from bertkit.interop.hf import config_from_hf, config_to_hf, from_hf, to_hf

log = logging.getLogger(__name__)

# Our top-level names of the parts outside the encoder body: a model may lack any of them by design.
HEAD_PREFIXES = ("pooler.", "bert.pooler.", "mlm.", "nsp.", "classifier.", "qa.")
ENCODER_PREFIXES = ("embeddings.", "encoder.", "pooler.")


@dataclass
class Checkpoint:
    """A model directory read once: its config.json as stored and its tensors by stored name."""

    model_dir: Path  # the folder holding config.json (the encoder folder of a sentence layout)
    config: dict  # config.json, Hugging Face field names
    tensors: dict[str, torch.Tensor]
    file: Path  # the weights file, named in errors


def find_model_dir(path: Path) -> Path:
    """The folder holding config.json: `path`, or the Transformer module a `modules.json` names."""
    if not path.is_dir():
        raise BertkitError(f"{path}: no such model directory")
    modules_file = path / "modules.json"
    if not modules_file.exists():
        return path
    modules = read_json(modules_file)
    for module in modules if isinstance(modules, list) else []:
        if not isinstance(module, dict):
            raise BertkitError(f"{modules_file}: each module must be a JSON object")
        if str(module.get("type", "")).endswith("Transformer"):
            return path / str(module.get("path", ""))
    return path


def read_checkpoint(path: Path) -> Checkpoint:
    """Read a model directory's config.json and weights (each once)."""
    model_dir = find_model_dir(path)
    config = read_json(model_dir / "config.json")
    if not isinstance(config, dict):
        raise BertkitError(f"{model_dir / 'config.json'}: expected a JSON object")
    tensors, file = read_weights(model_dir)
    return Checkpoint(model_dir, config, tensors, file)


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BertkitError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise BertkitError(f"{path}: not valid JSON ({error})") from None


def read_config(checkpoint: Checkpoint):
    """config.json -> BertConfig, with the file named in any error."""
    try:
        return config_from_hf(checkpoint.config)
    except (ValueError, TypeError) as error:
        raise BertkitError(f"{checkpoint.model_dir / 'config.json'}: {error}") from None


def read_weights(model_dir: Path) -> tuple[dict[str, torch.Tensor], Path]:
    """The checkpoint's tensors by their stored names, and the file they came from."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    single = model_dir / "model.safetensors"
    index = model_dir / "model.safetensors.index.json"
    legacy = model_dir / "pytorch_model.bin"
    if single.exists():
        files = [single]
    elif index.exists():
        weight_map = read_json(index)
        weight_map = weight_map.get("weight_map") if isinstance(weight_map, dict) else None
        if (
            not weight_map
            or not isinstance(weight_map, dict)
            or not all(isinstance(name, str) for name in weight_map.values())
        ):
            raise BertkitError(f"{index}: field weight_map must map weight names to file names")
        files = [model_dir / name for name in sorted(set(weight_map.values()))]
    elif legacy.exists():
        try:
            return torch.load(legacy, map_location="cpu", weights_only=True), legacy
        except Exception as error:  # unpickling errors come in many types
            raise BertkitError(f"{legacy}: cannot read weights ({error})") from None
    else:
        raise BertkitError(f"{model_dir}: no model.safetensors or pytorch_model.bin")
    state_dict = {}
    for file in files:
        try:
            state_dict.update(load_file(file))
        except (SafetensorError, OSError, ValueError) as error:
            raise BertkitError(f"{file}: corrupt or truncated weights file ({error})") from None
    return state_dict, files[0]


def load_model(
    cls,
    source: Path | Checkpoint,
    *,
    attn_backend: str = "sdpa",
    unpad: bool = True,
    dtype=None,
    **overrides,
):
    """Build `cls` from a model directory or a `Checkpoint` already read; see
    `PreTrainedBert.from_pretrained`."""
    checkpoint = source if isinstance(source, Checkpoint) else read_checkpoint(source)
    config = read_config(checkpoint)
    config_fields = {k: v for k, v in overrides.items() if k in config.__dataclass_fields__}
    model_kwargs = {k: v for k, v in overrides.items() if k not in config_fields}
    if "num_labels" in config_fields and "id2label" not in config_fields:
        config_fields["id2label"] = {}  # new label count: fresh default names
    if config_fields:
        config = dataclasses.replace(config, **config_fields)
    try:
        ours, unknown = from_hf(checkpoint.tensors)
    except KeyError as error:
        raise BertkitError(f"{checkpoint.file}: {error.args[0]}") from None
    # Shapes first, on the meta device (no memory): a config.json that disagrees with its weights
    # (vocab_size 10^9) is an error before anything that large is allocated.
    check_layers(config.num_hidden_layers, ours, checkpoint)
    kwargs: dict = dict(attn_backend=attn_backend, unpad=unpad, **model_kwargs)
    skeleton = build(cls, config, checkpoint, meta=True, **kwargs)
    ours, missing, extra = check_state(skeleton, ours, unknown, checkpoint.file)
    model = build(cls, config, checkpoint, **kwargs)
    load_state(model, ours, missing, extra, checkpoint.file)
    if dtype is not None:
        model.to(dtype)
    return model.eval()


def build(cls, config, checkpoint: Checkpoint, *, meta: bool = False, **kwargs):
    """`cls(config, **kwargs)` with its errors as one line; on the meta device (shapes only, no
    memory) when `meta`, where sizes past what torch can address are config.json's fault."""
    try:
        if not meta:
            return cls(config, **kwargs)
        with torch.device("meta"):
            return cls(config, **kwargs)
    except ValueError as error:  # an unknown backend, eager with unpadding
        raise BertkitError(str(error)) from None
    except (RuntimeError, OverflowError) as error:
        if not meta:
            raise
        config_file = checkpoint.model_dir / "config.json"
        raise BertkitError(f"{config_file}: no model has these shapes ({error})") from None


def load_state(
    model, ours: dict[str, torch.Tensor], missing: list[str], extra: list[str], file: Path
) -> None:
    """Copy in the checkpoint's tensors, as `check_state` matched them to the model's names."""
    if missing:
        log.warning("initialised weights not in %s (train them): %s", file.name, _names(missing))
    if extra:
        # Expected when a task uses part of a checkpoint (an encoder without its pooler): debug.
        log.debug("ignored weights of heads %s has not: %s", type(model).__name__, _names(extra))
    unused = set(extra)
    model.load_state_dict({k: v for k, v in ours.items() if k not in unused}, strict=False)


def check_state(
    model, ours: dict[str, torch.Tensor], unknown: list[str], file: Path
) -> tuple[dict[str, torch.Tensor], list[str], list[str]]:
    """One error unless the checkpoint fits `model` (names and shapes); returns its tensors under
    the model's names, the model's weights it lacks (heads) and its weights the model lacks."""
    expected = model.state_dict()
    has_prefix = any(k.startswith("bert.") for k in expected)
    ours = {_with_prefix(k, has_prefix): v for k, v in ours.items()}
    missing = [k for k in expected if k not in ours]
    extra = [k for k in ours if k not in expected]
    if unknown or [k for k in extra if not k.startswith(HEAD_PREFIXES)]:
        names = unknown + [k for k in extra if not k.startswith(HEAD_PREFIXES)]
        raise BertkitError(
            f"{file}: unexpected weights {_names(names)} (a checkpoint of another size or model?)"
        )
    body_missing = [k for k in missing if not k.startswith(HEAD_PREFIXES)]
    if body_missing:
        raise BertkitError(
            f"{file}: missing weights {_names(body_missing)} (a checkpoint of another size?)"
        )
    wrong = [
        f"{k} {tuple(ours[k].shape)} vs {tuple(v.shape)} expected"
        for k, v in expected.items()
        if k in ours and ours[k].shape != v.shape
    ]
    if wrong:
        raise BertkitError(
            f"{file}: shape mismatch in {len(wrong)} weights, e.g. {wrong[0]} "
            "(config.json and weights disagree, or a head with another number of labels)"
        )
    # Fresh heads are small (a classifier, the MLM transform); more new weights than the
    # checkpoint holds means config.json asks for a model the weights are not.
    fresh = sum(expected[k].numel() for k in missing)
    stored = sum(v.numel() for v in ours.values())
    if fresh > max(stored, 10**6):
        raise BertkitError(
            f"{file}: the model would need {fresh:,} new weights beside the {stored:,} stored "
            f"({_names(missing)}): check config.json"
        )
    return ours, missing, extra


def check_layers(layers: int, ours: dict[str, torch.Tensor], checkpoint: Checkpoint) -> None:
    """config.json's layer count against the weights', before a model of that depth is built."""
    keys = [key.removeprefix("bert.") for key in ours]
    stored = {key.split(".")[2] for key in keys if key.startswith("encoder.layers.")}
    if layers != len(stored):
        raise BertkitError(
            f"{checkpoint.model_dir / 'config.json'}: num_hidden_layers is {layers} but "
            f"{checkpoint.file.name} holds {len(stored)} layers"
        )


def _with_prefix(key: str, has_prefix: bool) -> str:
    """Encoder keys carry `bert.` in head models and not in a bare BertModel; match the target."""
    if has_prefix and key.startswith(ENCODER_PREFIXES):
        return "bert." + key
    if not has_prefix and key.startswith("bert."):
        return key[len("bert.") :]
    return key


def _names(keys: list[str], limit: int = 4) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def save_model(model, path: Path) -> None:
    """Write config.json and model.safetensors (Hugging Face names), each renamed into place."""
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in to_hf(model.state_dict()).items()}
    with atomic_path(path / "model.safetensors") as tmp:
        save_file(tensors, tmp, metadata={"format": "pt"})
    write_json(path / "config.json", config_to_hf(model.config, type(model).__name__))
