"""What runs the model under a pipeline: bertkit on PyTorch, or an exported graph on ONNX Runtime.

Both runtimes take numpy (B, T) int64 inputs and give named float32 numpy outputs
(`last_hidden_state`, `sentence_embedding`, `logits`, `start_logits`, `end_logits`), so the
pipelines post-process one way whatever ran the model. The ONNX runtime needs numpy and
onnxruntime only: `torch_runtime.py` is imported only when the torch runtime is chosen
(`bertkit.pipelines.base.load_runtime`), never on the ONNX path, which is what lets
`bertkit[onnx]` install without PyTorch. A directory holding `model.onnx` (what
`bertkit export onnx` writes) runs on ONNX Runtime unless told otherwise.
Shapes: B batch, T tokens, C hidden, V vocab, N selected positions.
"""

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from bertkit.errors import BertkitError

RUNTIMES = ("torch", "onnx")
POOLING_MODES = ("mean", "cls", "max")
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
ONNX_FILE = "model.onnx"
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
# The exported head (model.onnx metadata "bertkit.head") -> the heads `describe_model_dir` names.
ONNX_HEADS = {
    "encoder": [],
    "masked-lm": ["masked-lm"],
    "sequence-classification": ["classifier"],
    "token-classification": ["classifier"],
    "question-answering": ["question-answering"],
}


@dataclass
class Pooling:
    """How token vectors become a sentence vector (as `bertkit.model.pooling.PoolingConfig`)."""

    mode: str = "mean"
    normalize: bool = False


def choose_runtime(model_dir: Path, runtime: str | None) -> str:
    """The runtime asked for; else ONNX for an exported directory (model.onnx and no PyTorch
    weights, or no PyTorch installed), else torch."""
    if runtime is not None:
        if runtime not in RUNTIMES:
            raise BertkitError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
        return runtime
    if not (model_dir / ONNX_FILE).exists():
        return "torch"
    has_weights = any((model_dir / name).exists() for name in WEIGHT_FILES)
    has_torch = importlib.util.find_spec("torch") is not None
    return "torch" if has_weights and has_torch else "onnx"


@dataclass
class OnnxConfig:
    """The config.json fields the pipelines read, under BertConfig's names."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    max_position_embeddings: int
    type_vocab_size: int = 2
    id2label: dict[int, str] = field(default_factory=dict)
    problem_type: str | None = None

    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in self.id2label.items()}


def read_onnx_config(path: Path) -> OnnxConfig:
    """config.json -> OnnxConfig, with the file named in any error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        id2label = {int(k): str(v) for k, v in (data.get("id2label") or {}).items()}
        if not id2label:
            id2label = {i: f"LABEL_{i}" for i in range(int(data.get("num_labels", 2)))}
        return OnnxConfig(
            vocab_size=int(data["vocab_size"]),
            hidden_size=int(data["hidden_size"]),
            num_hidden_layers=int(data["num_hidden_layers"]),
            max_position_embeddings=int(data["max_position_embeddings"]),
            type_vocab_size=int(data.get("type_vocab_size", 2)),
            id2label=id2label,
            problem_type=data.get("problem_type"),
        )
    except FileNotFoundError:
        raise BertkitError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as error:
        raise BertkitError(f"{path}: not a valid config.json ({error})") from None
    except KeyError as error:
        raise BertkitError(f"{path}: missing field {error.args[0]!r}") from None
    except (TypeError, ValueError) as error:
        raise BertkitError(f"{path}: {error}") from None


class OnnxModel:
    """An ONNX Runtime session with the config beside it (`pipe.model.config` as on torch)."""

    def __init__(self, path: Path, config: OnnxConfig, providers: list[str]):
        import onnxruntime as ort

        try:
            self.session = ort.InferenceSession(str(path), providers=providers)
        except Exception as error:  # ONNX Runtime raises its own exception types
            raise BertkitError(f"{path}: ONNX Runtime cannot load it ({error})") from None
        self.config = config
        self.metadata = self.session.get_modelmeta().custom_metadata_map
        self.output_names = [o.name for o in self.session.get_outputs()]


class OnnxRuntime:
    """An exported directory run by ONNX Runtime on numpy arrays; fp32 only."""

    name = "onnx"

    def __init__(self, model_dir: Path, device: str | None, dtype: str | None):
        path = model_dir / ONNX_FILE
        if not path.exists():
            raise BertkitError(
                f"{model_dir}: no {ONNX_FILE}; `bertkit export onnx --model {model_dir} --out "
                "DIR` writes an ONNX model directory"
            )
        if dtype not in (None, "float32", "auto"):
            raise BertkitError(f"the ONNX runtime runs float32 only, not {dtype}")
        if device not in (None, "cpu", "cuda"):
            raise BertkitError(f"the ONNX runtime runs on cpu or cuda, not {device}")
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            providers.insert(0, "CUDAExecutionProvider")
        self.model = OnnxModel(path, read_onnx_config(model_dir / "config.json"), providers)
        self.device, self.dtype = device or "cpu", "float32"
        self.tokenizer_dir = model_dir
        meta = self.model.metadata
        head = meta.get("bertkit.head", "encoder")
        self.info = {
            "path": str(model_dir),
            "architecture": head_architecture(model_dir),
            "heads": ONNX_HEADS.get(head, []),
            "runtime": "onnx",
            "precision": "float32",
        }
        # The directory's declared pooling, which the graph's sentence_embedding computes.
        self.pooling = None
        if "sentence_embedding" in self.model.output_names:
            normalize = meta.get("bertkit.normalize") == "true"
            self.pooling = Pooling(meta.get("bertkit.pooling", "mean"), normalize)
        self.max_seq_length = read_max_seq_length(model_dir / "sentence_bert_config.json")

    def run(
        self,
        inputs: dict[str, np.ndarray],
        outputs: list[str],
        select: np.ndarray | None = None,
        pooling: Pooling | None = None,
    ) -> dict[str, np.ndarray]:
        """The named outputs of one padded batch.

        Args:
            inputs: input_ids, token_type_ids, attention_mask, (B, T) int64.
            outputs: names of graph outputs, plus `sentence_embedding` with `pooling`.
            select: (B, T) bool; token-level outputs keep these positions only, (N, ...).
            pooling: for `sentence_embedding`: the pooling wanted (the graph's own when equal,
                else pooled here from `last_hidden_state`).
        """
        wanted = list(outputs)
        # None: the graph's own pooling, as the docstring says
        pool_here = (
            "sentence_embedding" in wanted and pooling is not None and pooling != self.pooling
        )
        if pool_here:
            wanted = [n for n in wanted if n != "sentence_embedding"] + ["last_hidden_state"]
        missing = [n for n in dict.fromkeys(wanted) if n not in self.model.output_names]
        if missing:
            raise BertkitError(
                f"this ONNX model has no output {missing[0]} (its outputs: "
                f"{', '.join(self.model.output_names)}); export the model with that head"
            )
        feed = {name: inputs[name].astype(np.int64, copy=False) for name in INPUT_NAMES}
        names = list(dict.fromkeys(wanted))
        arrays = cast(list[np.ndarray], self.model.session.run(names, feed))  # dense outputs only
        values = dict(zip(names, arrays, strict=True))
        if pool_here and pooling is not None:
            values["sentence_embedding"] = pool_numpy(
                values["last_hidden_state"], inputs["attention_mask"], pooling
            )
        result = {}
        for name in outputs:
            value = values[name]
            if select is not None and value.ndim >= 2 and value.shape[:2] == select.shape:
                value = value[select]  # (B, T, ...) -> (N, ...)
            result[name] = value.astype(np.float32, copy=False)
        return result


def read_max_seq_length(path: Path) -> int | None:
    """sentence-transformers' `max_seq_length` (as `bertkit.interop.sentence_transformers`
    reads it, which the ONNX runtime cannot import without torch)."""
    if not path.exists():
        return None
    try:
        length = json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
    except (ValueError, AttributeError) as error:
        raise BertkitError(f"{path}: not valid JSON ({error})") from None
    if length is not None and (not isinstance(length, int) or length < 3):
        raise BertkitError(f"{path}: max_seq_length must be an integer >= 3")
    return length


def head_architecture(model_dir: Path) -> str:
    try:
        data = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        return (data.get("architectures") or ["BertModel"])[0]
    except (OSError, ValueError, AttributeError):
        return "BertModel"


def pool_numpy(hidden: np.ndarray, attention_mask: np.ndarray, pooling: Pooling) -> np.ndarray:
    """(B, T, C) token vectors and the (B, T) mask -> (B, C) sentence vectors, as
    `bertkit.model.pooling.pool` computes them."""
    mask = attention_mask[..., None].astype(hidden.dtype)  # (B, T, 1)
    if pooling.mode == "mean":
        out = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
    elif pooling.mode == "cls":
        out = hidden[:, 0]
    elif pooling.mode == "max":
        out = np.where(mask > 0, hidden, np.finfo(hidden.dtype).min).max(1)
    else:
        raise BertkitError(f"pooling mode must be mean, cls or max, got {pooling.mode!r}")
    if pooling.normalize:
        out = out / np.maximum(np.linalg.norm(out, axis=-1, keepdims=True), 1e-12)
    return out
