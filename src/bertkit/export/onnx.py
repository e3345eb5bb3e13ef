"""`bertkit export onnx`: a model directory -> a complete ONNX model directory, checked.

The output folder holds model.onnx, config.json, the tokenizer files and any sentence-transformers
pooling files, so `bertkit embed --model OUT_DIR` (and every pipeline) runs it with ONNX Runtime.
Known pains of BERT exports, and how each is kept away (they are checked, not assumed):
- `token_type_ids` dropped or folded to a constant: it is a graph input whatever its values, and
  the check feeds random segments, so a folded input would fail it;
- axes that specialise to the traced shape: batch and sequence are dynamic axes, and the check
  runs shapes other than the traced one;
- files that pass `onnx.checker` but not ONNX Runtime: the check loads the file in ONNX Runtime.
Any mismatch is a `BertkitError` naming the output and the difference; nothing is left behind.
"""

import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.export.heads import INPUT_NAMES, ExportModule, head_for
from bertkit.export.verify import Parity, verify_export
from bertkit.files import write_json
from bertkit.interop.checkpoint import find_model_dir, read_json
from bertkit.interop.hf import config_to_hf
from bertkit.interop.sentence_transformers import read_layout, write_layout

logger = logging.getLogger(__name__)

DEFAULT_OPSET = 17
# The tokenizer files of a model directory, which the exported one keeps.
TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
)


@dataclass
class ExportReport:
    """What `export_onnx` wrote and how closely ONNX Runtime matched bertkit."""

    out_dir: Path
    head: str
    outputs: list[str]
    optimized: bool
    parity: list[Parity] = field(default_factory=list)
    fused: dict[str, int] = field(default_factory=dict)  # operator -> count after --optimize


def export_onnx(
    model_dir: str | Path,
    out_dir: str | Path,
    *,
    optimize: bool = False,
    opset: int = DEFAULT_OPSET,
    atol: float = 1e-4,
    min_cosine: float = 0.99999,
    seed: int = 0,
) -> ExportReport:
    """Export the model in `model_dir` to `out_dir`/model.onnx and check it in ONNX Runtime.

    Args:
        optimize: apply ONNX Runtime's transformer fusions (attention, LayerNorm, GELU).
        opset: ONNX operator set version.
        atol: largest |difference| allowed on logits.
        min_cosine: smallest cosine allowed between hidden states or sentence embeddings.
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    encoder_dir = find_model_dir(model_dir)
    layout = read_layout(model_dir)
    pooling = layout.pooling if layout is not None else None
    config_data = read_json(encoder_dir / "config.json")
    head = head_for((config_data.get("architectures") or ["BertModel"])[0])
    # The padded eager path: one fixed graph whatever the padding, in operators that ONNX
    # Runtime's attention fusion recognises.
    model = head.model_class.from_pretrained(
        model_dir, attn_backend="eager", unpad=False, dtype=torch.float32
    )
    module = ExportModule(model, head, pooling).eval()
    config = model.config
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}-", dir=out_dir.parent) as tmp:
        stage = Path(tmp)
        onnx_file = stage / "model.onnx"
        trace_onnx(module, onnx_file, opset, config.vocab_size)
        fused = {}
        if optimize:
            fused = optimize_onnx(onnx_file, config.num_attention_heads, config.hidden_size)
        add_metadata(onnx_file, head.name, pooling)
        parity = verify_export(onnx_file, module, config, atol, min_cosine, seed)
        write_json(stage / "config.json", config_to_hf(config, type(model).__name__))
        for name in TOKENIZER_FILES:
            if (encoder_dir / name).exists():
                shutil.copyfile(encoder_dir / name, stage / name)
        if layout is not None:
            write_layout(layout, stage, config.hidden_size)
        publish(stage, out_dir)
    return ExportReport(out_dir, head.name, list(module.output_names), optimize, parity, fused)


def trace_onnx(module: ExportModule, path: Path, opset: int, vocab_size: int) -> None:
    """Trace `module` into `path` with dynamic batch and sequence axes.

    The example batch is 2 x 8 with padding on one row: a trace of batch 1 or without padding
    could let the exporter fold the mask or a size into a constant.
    """
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, vocab_size, (2, 8), generator=generator)
    attention_mask = torch.ones(2, 8, dtype=torch.long)
    attention_mask[1, 5:] = 0
    token_type_ids = torch.zeros(2, 8, dtype=torch.long)
    token_type_ids[:, 4:] = 1
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    for name in module.output_names:
        is_pooled = name == "sentence_embedding" or not module.head.is_token_level
        axes[name] = {0: "batch"} if is_pooled else {0: "batch", 1: "sequence"}
    try:
        # The tracer warns about Python numbers taken from shapes (the head size, a constant of
        # the model); the check that follows is what proves the graph general. The TorchScript
        # exporter is deprecated in favour of torch.export's, but it is the one whose graphs
        # ONNX Runtime's BERT fusions recognise, and it traces in a second.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # pyright: ignore[reportPrivateImportUsage]
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                module,
                (input_ids, attention_mask, token_type_ids),
                str(path),
                input_names=list(INPUT_NAMES),
                output_names=list(module.output_names),
                dynamic_axes=axes,
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )
    except Exception as error:  # the exporter raises many types, all with a message
        raise BertkitError(f"ONNX export failed at opset {opset}: {error}") from None


def optimize_onnx(path: Path, num_heads: int, hidden_size: int) -> dict[str, int]:
    """Rewrite `path` with ONNX Runtime's BERT fusions; returns the fused operator counts."""
    from onnxruntime.transformers.optimizer import optimize_model

    logging.disable(logging.INFO)  # the optimizer logs every fusion at INFO
    try:
        optimized = optimize_model(
            str(path), model_type="bert", num_heads=num_heads, hidden_size=hidden_size, opt_level=1
        )
        optimized.save_model_to_file(str(path))
        counts = optimized.get_fused_operator_statistics()
    finally:
        logging.disable(logging.NOTSET)
    return {name: int(n) for name, n in counts.items() if n}


def add_metadata(path: Path, head: str, pooling) -> None:
    """Record the head and the pooling inside model.onnx, so the runtime needs no torch to know
    what the outputs mean."""
    import onnx

    proto = onnx.load(str(path))
    entries = {"bertkit.head": head}
    if pooling is not None:
        entries["bertkit.pooling"] = pooling.mode
        entries["bertkit.normalize"] = str(bool(pooling.normalize)).lower()
    for key, value in entries.items():
        prop = proto.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.save(proto, str(path))


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(stage: Path, out_dir: Path) -> None:
    """Move the checked files into `out_dir`: the folder in one rename when it is new, else
    file by file (each rename atomic), model.onnx last so that a reader never sees a new graph
    with old settings."""
    if not out_dir.exists():
        stage.chmod(0o777 & ~current_umask())  # mkdtemp made it private; give it mkdir's mode
        stage.rename(out_dir)
        stage.mkdir()  # TemporaryDirectory removes it on exit
        return
    if not out_dir.is_dir():
        raise BertkitError(f"{out_dir}: exists and is not a directory")
    files = sorted(p for p in stage.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name == "model.onnx")
    for file in files:
        target = out_dir / file.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        file.replace(target)
