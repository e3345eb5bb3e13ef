"""Every pipeline runs the model's fast path by default (its layers see packed (N, C) real tokens)
and gives what the padded reference gives."""

import dataclasses

import numpy as np
import pytest
import torch

from bertkit.model.bert import Encoder, EncoderLayer
from bertkit.pipelines import pipeline

SENTENCES = [
    "A man is playing a guitar on the corner of the street.",
    "Stocks fell.",
    "The committee in Geneva met on Tuesday to discuss the budget for next year.",
    "It rained.",
]
CONTEXTS = [
    "Paris is the capital of France. It has been the capital since the tenth century.",
    "Water boils at one hundred degrees.",
]
QUESTIONS = ["What is the capital of France?", "When does water boil?"]

CASES = {
    "embed": ("minilm_dir", lambda p: p(SENTENCES)),
    "similarity": ("minilm_dir", lambda p: p(SENTENCES[:2], SENTENCES[2:])),
    "classify": ("classify_dir", lambda p: p(SENTENCES)),
    "ner": ("ner_dir", lambda p: p(SENTENCES)),
    "qa": ("qa_dir", lambda p: p(QUESTIONS, CONTEXTS)),
    "fill-mask": ("mlm_dir", lambda p: p([s.replace(".", " [MASK].") for s in SENTENCES])),
}


def layer_inputs(model: torch.nn.Module, run) -> tuple[list[tuple[int, ...]], object]:
    """The shapes every first-layer call receives while `run()` runs, and its result."""
    shapes = []
    layer = next(m for m in model.modules() if isinstance(m, EncoderLayer))
    handle = layer.register_forward_pre_hook(lambda _, args: shapes.append(tuple(args[0].shape)))
    try:
        result = run()
    finally:
        handle.remove()
    return shapes, result


def rounded(value):
    """Results with floats rounded, to compare two runs that differ in the last bits."""
    if dataclasses.is_dataclass(value):
        return rounded(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


@pytest.mark.parametrize("task", list(CASES))
def test_each_pipeline_takes_the_unpadded_path_and_equals_the_padded_reference(task, request):
    fixture, run = CASES[task]
    pipe = pipeline(task, request.getfixturevalue(fixture), batch_size=4)
    hidden = pipe.model.config.hidden_size
    shapes, fast = layer_inputs(pipe.model, lambda: run(pipe))
    assert shapes and all(len(shape) == 2 and shape[1] == hidden for shape in shapes), shapes

    # The reference: the same pipeline with its encoder switched to the padded path.
    for encoder in (m for m in pipe.model.modules() if isinstance(m, Encoder)):
        encoder.unpad = False
    shapes, reference = layer_inputs(pipe.model, lambda: run(pipe))
    assert all(len(shape) == 3 for shape in shapes)  # (B, T, C)
    if isinstance(fast, np.ndarray):
        np.testing.assert_allclose(fast, reference, atol=1e-5, rtol=0)
    else:
        assert rounded(fast) == rounded(reference)


@pytest.mark.parametrize("task, fixture", [("embed", "minilm_dir"), ("classify", "classify_dir")])
def test_a_pipeline_reads_the_weights_once(task, fixture, request, monkeypatch):
    from bertkit.interop import checkpoint

    calls = []
    read = checkpoint.read_weights
    monkeypatch.setattr(checkpoint, "read_weights", lambda path: calls.append(path) or read(path))
    pipeline(task, request.getfixturevalue(fixture))
    assert len(calls) == 1
