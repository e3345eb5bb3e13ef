"""Tiny random model directories of every head, and their ONNX exports (plain and optimized).

The exports are session fixtures: each is written once and then run by the parity tests, the
torch-free pipeline tests and the CLI tests.
"""

from pathlib import Path

import pytest

from bertkit.export import export_onnx
from bertkit.tokenizer import WordPieceTokenizer
from tests.pipelines.conftest import CONLL_LABELS, save_tiny_model

HEAD_CLASSES = {
    "encoder": ("BertModel", {}),
    "sequence-classification": (
        "BertForSequenceClassification",
        {"id2label": {0: "negative", 1: "neutral", 2: "positive"}},
    ),
    "token-classification": (
        "BertForTokenClassification",
        {"id2label": dict(enumerate(CONLL_LABELS))},
    ),
    "question-answering": ("BertForQuestionAnswering", {}),
    "masked-lm": ("BertForMaskedLM", {}),
}


@pytest.fixture(scope="session")
def tiny_tokenizer(minilm_dir) -> WordPieceTokenizer:
    return WordPieceTokenizer.from_pretrained(minilm_dir)


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory, tiny_tokenizer) -> dict[str, Path]:
    """Head name -> a tiny random model directory with the bert-base-uncased vocabulary."""
    import bertkit

    dirs = {}
    for head, (class_name, overrides) in HEAD_CLASSES.items():
        path = tmp_path_factory.mktemp(head)
        dirs[head] = save_tiny_model(
            path, getattr(bertkit, class_name), tiny_tokenizer, **overrides
        )
    return dirs


@pytest.fixture(scope="session")
def exported(tmp_path_factory, tiny_dirs) -> dict[tuple[str, bool], Path]:
    """(head, optimized) -> the exported directory."""
    out = {}
    for head, path in tiny_dirs.items():
        for optimize in (False, True):
            target = tmp_path_factory.mktemp(f"onnx-{head}") / ("opt" if optimize else "plain")
            out[head, optimize] = export_onnx(path, target, optimize=optimize).out_dir
    return out


@pytest.fixture(scope="session")
def minilm_onnx(tmp_path_factory, minilm_dir) -> dict[bool, Path]:
    """optimized -> all-MiniLM-L6-v2 exported to ONNX."""
    root = tmp_path_factory.mktemp("minilm-onnx")
    return {
        optimize: export_onnx(minilm_dir, root / str(optimize), optimize=optimize).out_dir
        for optimize in (False, True)
    }
