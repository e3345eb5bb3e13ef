"""Checking an exported graph against bertkit: the same random inputs through ONNX Runtime and
through the PyTorch module that was traced.

The inputs vary batch size, length, padding (random per row) and segments (random 0/1), so a
graph that specialised an axis, folded `token_type_ids` or mishandled the mask shows up as a
difference. Token-level outputs are compared at real tokens only: what a padded position holds
is nobody's answer. Logits are held to an absolute tolerance, vectors (hidden states, sentence
embeddings) to a cosine.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import torch

from bertkit.errors import BertkitError
from bertkit.export.heads import ExportModule

# (batch, length) of the checks: batch 1 and length 1 are the classic specialisation traps.
CHECK_SHAPES = ((1, 1), (3, 7), (8, 33), (2, 128))
VECTOR_OUTPUTS = ("last_hidden_state", "sentence_embedding")


@dataclass
class Parity:
    output: str
    max_abs_diff: float
    min_cosine: float | None  # for vector outputs
    inputs: int  # rows compared


def random_inputs(
    rng: np.random.Generator, batch: int, length: int, vocab_size: int, type_vocab_size: int
) -> dict[str, np.ndarray]:
    """A padded batch: random ids and segments, each row a random real length (one row full)."""
    lengths = rng.integers(1, length + 1, size=batch)
    lengths[rng.integers(batch)] = length
    mask = (np.arange(length)[None, :] < lengths[:, None]).astype(np.int64)  # (B, T)
    input_ids = rng.integers(0, vocab_size, size=(batch, length)) * mask
    token_type_ids = rng.integers(0, type_vocab_size, size=(batch, length)) * mask
    return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": token_type_ids}


def differences(
    name: str, expected: np.ndarray, actual: np.ndarray, mask: np.ndarray
) -> tuple[float, float | None]:
    """(max |difference|, min cosine over vectors or None) of one output, at real tokens."""
    if expected.shape != actual.shape:
        raise BertkitError(f"output {name}: shape {actual.shape}, expected {expected.shape}")
    if expected.ndim == 3 or (expected.ndim == 2 and expected.shape == mask.shape):
        keep = mask.astype(bool)  # (B, T) -> rows of real tokens only
        expected, actual = expected[keep], actual[keep]
    diff = float(np.abs(expected.astype(np.float64) - actual).max()) if expected.size else 0.0
    if name not in VECTOR_OUTPUTS:
        return diff, None
    e, a = expected.astype(np.float64), actual.astype(np.float64)
    norms = np.linalg.norm(e, axis=-1) * np.linalg.norm(a, axis=-1)
    cosine = (e * a).sum(-1) / np.maximum(norms, 1e-12)
    return diff, float(cosine.min()) if cosine.size else 1.0


def onnx_session(path: Path):
    """An ONNX Runtime CPU session; a file that ONNX Runtime refuses is a one-line error."""
    import onnxruntime as ort

    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as error:  # ORT raises its own exception types
        raise BertkitError(f"{path}: ONNX Runtime cannot load it ({error})") from None


def torch_outputs(module: torch.nn.Module, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    with torch.inference_mode():
        outs = module(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    return [o.float().numpy() for o in outs]


def verify_export(
    path: Path,
    module: ExportModule,
    config,
    atol: float,
    min_cosine: float,
    seed: int = 0,
    shapes: tuple[tuple[int, int], ...] = CHECK_SHAPES,
) -> list[Parity]:
    """Compare the graph at `path` with `module` on random batches; raise on a mismatch."""
    session = onnx_session(path)
    graph_inputs = [i.name for i in session.get_inputs()]
    if sorted(graph_inputs) != sorted(("input_ids", "attention_mask", "token_type_ids")):
        raise BertkitError(f"{path}: graph inputs are {graph_inputs}, expected all three")
    names = module.output_names
    worst = {name: [0.0, 1.0, 0] for name in names}
    rng = np.random.default_rng(seed)
    for batch, length in shapes:
        length = min(length, config.max_position_embeddings)
        inputs = random_inputs(rng, batch, length, config.vocab_size, config.type_vocab_size)
        actual = cast(list[np.ndarray], session.run(list(names), inputs))  # dense outputs
        for name, e, a in zip(names, torch_outputs(module, inputs), actual, strict=True):
            diff, cosine = differences(name, e, a, inputs["attention_mask"])
            worst[name][0] = max(worst[name][0], diff)
            worst[name][1] = min(worst[name][1], cosine if cosine is not None else 1.0)
            worst[name][2] += batch
    parity = []
    for name in names:
        diff, cosine, rows = worst[name]
        is_vector = name in VECTOR_OUTPUTS
        parity.append(Parity(name, diff, cosine if is_vector else None, rows))
        if is_vector and cosine < min_cosine:
            raise BertkitError(
                f"{path}: output {name} differs from bertkit: cosine {cosine:.7f} < "
                f"{min_cosine} (max |difference| {diff:.3g})"
            )
        if not is_vector and diff > atol:
            raise BertkitError(
                f"{path}: output {name} differs from bertkit by {diff:.3g} > {atol} (max |logit "
                "difference|)"
            )
    return parity
