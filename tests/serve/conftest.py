"""One server holding every kind of model (the real MiniLM encoder and tiny random task models
with its vocabulary) for the route tests; each test calls it over HTTP."""

from pathlib import Path

import pytest

from bertkit.tokenizer import WordPieceTokenizer
from tests.pipelines.conftest import CONLL_LABELS, save_tiny_model
from tests.serve.server import Server


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory, minilm_dir) -> dict[str, Path]:
    """Tiny random models with the uncased vocabulary: masked LM, NER, QA, a 3-label classifier
    and a one-output cross-encoder."""
    from bertkit import (
        BertForMaskedLM,
        BertForQuestionAnswering,
        BertForSequenceClassification,
        BertForTokenClassification,
    )

    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    kinds = {
        "mlm": (BertForMaskedLM, {}),
        "ner": (BertForTokenClassification, {"id2label": dict(enumerate(CONLL_LABELS))}),
        "qa": (BertForQuestionAnswering, {}),
        "classify": (
            BertForSequenceClassification,
            {"id2label": {0: "negative", 1: "neutral", 2: "positive"}},
        ),
        "cross": (BertForSequenceClassification, {"num_labels": 1, "id2label": {0: "score"}}),
    }
    return {
        name: save_tiny_model(tmp_path_factory.mktemp(name), cls, tokenizer, **overrides)
        for name, (cls, overrides) in kinds.items()
    }


@pytest.fixture(scope="session")
def server(tmp_path_factory, minilm_dir, tiny_dirs):
    models = {"minilm": minilm_dir} | tiny_dirs
    args = [arg for name, path in models.items() for arg in ("--model", f"{name}={path}")]
    log = tmp_path_factory.mktemp("server") / "server.log"
    running = Server(args, log)
    yield running
    assert running.stop() == 0, log.read_text()
