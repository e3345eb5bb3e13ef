"""Pipelines on an exported directory: ONNX Runtime gives what bertkit's PyTorch path gives, and
the ONNX path never imports torch (checked in a process where importing torch fails)."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from bertkit.cli.main import main
from bertkit.errors import BertkitError
from bertkit.pipelines import pipeline
from tests.conftest import REPO

SENTENCES = [
    "A man is playing a guitar on the corner of the street.",
    "Stocks fell.",
    "The committee in Geneva met on Tuesday to discuss the budget for next year.",
    "It rained in Paris and London.",
]
QUESTIONS = ["What is the capital of France?", "When does water boil?"]
CONTEXTS = [
    "Paris is the capital of France. It has been the capital since the tenth century. " * 8,
    "Water boils at one hundred degrees.",
]
CASES = {  # task -> (exported head, pipeline options, call)
    "classify": ("sequence-classification", {}, lambda p: p(SENTENCES, top_k=3)),
    "ner": ("token-classification", {"max_length": 16}, lambda p: p(SENTENCES)),
    "qa": ("question-answering", {"stride": 16}, lambda p: p(QUESTIONS, CONTEXTS)),
    "fill-mask": ("masked-lm", {}, lambda p: p([s.replace(".", " [MASK].") for s in SENTENCES])),
    "embed": ("encoder", {"pooling": "max"}, lambda p: p(SENTENCES)),
}
# The torch-free check: importing torch raises, so any path to it fails loudly.
NO_TORCH = "import sys; sys.modules['torch'] = None; "


def rounded(value):
    """Results with floats rounded, to compare two runtimes that differ in the last bits."""
    if dataclasses.is_dataclass(value):
        return rounded(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    if isinstance(value, np.ndarray):
        return np.round(value, 4).tolist()
    if isinstance(value, float):
        return round(value, 4)
    return value


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimized"])
@pytest.mark.parametrize("task", list(CASES))
def test_pipeline_on_onnx_gives_the_torch_results(task, optimize, tiny_dirs, exported):
    head, options, run = CASES[task]
    onnx_pipe = pipeline(task, exported[head, optimize], batch_size=3, **options)
    torch_pipe = pipeline(task, tiny_dirs[head], batch_size=3, **options)
    assert (onnx_pipe.runtime.name, torch_pipe.runtime.name) == ("onnx", "torch")
    assert rounded(run(onnx_pipe)) == rounded(run(torch_pipe))


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimized"])
def test_minilm_embeddings_on_onnx_equal_bertkit(optimize, minilm_dir, minilm_onnx):
    onnx_embed = pipeline("embed", minilm_onnx[optimize])
    torch_embed = pipeline("embed", minilm_dir)
    assert onnx_embed.max_length == torch_embed.max_length == 256  # sentence_bert_config.json
    a, b = onnx_embed(SENTENCES), torch_embed(SENTENCES)
    assert (a * b).sum(-1).min() >= 0.99999
    # A pooling other than the declared one is pooled from last_hidden_state, outside the graph.
    a = pipeline("embed", minilm_onnx[optimize], pooling="cls")(SENTENCES)
    b = pipeline("embed", minilm_dir, pooling="cls")(SENTENCES)
    np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)


def test_onnx_runtime_refuses_what_it_cannot_do(tiny_dirs, exported, minilm_onnx):
    with pytest.raises(BertkitError, match="no model.onnx; `bertkit export onnx"):
        pipeline("embed", tiny_dirs["encoder"], runtime="onnx")
    with pytest.raises(BertkitError, match="float32 only"):
        pipeline("embed", minilm_onnx[False], dtype="bfloat16")
    with pytest.raises(BertkitError, match="last layer only"):
        pipeline("embed", minilm_onnx[False], layer=2)
    with pytest.raises(BertkitError, match="needs a classifier head"):
        pipeline("classify", exported["encoder", False])
    with pytest.raises(BertkitError, match="no output last_hidden_state"):
        pipeline("embed", exported["masked-lm", False])(["a text"])


def run_without_torch(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run(
        [sys.executable, "-c", NO_TORCH + code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_embed_and_classify_run_an_exported_directory_without_torch(
    minilm_dir, minilm_onnx, exported, tiny_dirs, tmp_path
):
    out = tmp_path / "vectors.npy"
    code = (
        "from bertkit.cli.main import main; "
        f"rc = main(['embed', '--model', {str(minilm_onnx[True])!r}, '--output', {str(out)!r}, "
        f"{SENTENCES[0]!r}, {SENTENCES[1]!r}]); "
        f"rc += main(['classify', '--model', {str(exported['sequence-classification', False])!r}, "
        f"'--json', '--top-k', '2', {SENTENCES[2]!r}]); "
        "assert 'torch' not in sys.modules or sys.modules['torch'] is None; sys.exit(rc)"
    )
    result = run_without_torch(code)
    assert result.returncode == 0, result.stderr
    expected = pipeline("embed", minilm_dir)(SENTENCES[:2])
    assert (np.load(out) * expected).sum(-1).min() >= 0.99999
    labels = json.loads(result.stdout.strip().splitlines()[-1])
    reference = pipeline("classify", tiny_dirs["sequence-classification"])(SENTENCES[2], top_k=2)
    assert [x["label"] for x in labels] == [x.label for x in reference]


def test_cli_runtime_flag_picks_onnx_and_refuses_a_directory_without_it(
    minilm_onnx, tiny_dirs, capsys
):
    assert main(["embed", "--model", str(minilm_onnx[False]), "--runtime", "onnx", "x"]) == 0
    assert len(json.loads(capsys.readouterr().out.splitlines()[0])) == 384
    assert main(["embed", "--model", str(tiny_dirs["encoder"]), "--runtime", "onnx", "x"]) == 2
    assert "no model.onnx" in capsys.readouterr().err
