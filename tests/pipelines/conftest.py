"""Tiny model directories with real vocabularies and random (seeded) heads, one per pipeline.

The pipelines' properties (offsets, batching, parity with transformers, errors) do not depend on
trained weights, so a 2-layer random model with the bert-base-uncased vocabulary (from the
MiniLM package) is enough and runs in milliseconds. `initializer_range` is large so that the
random heads spread their predictions over many labels.
"""

from pathlib import Path

import pytest

from bertkit.tokenizer import WordPieceTokenizer
from tests.model.tiny import tiny_config

CONLL_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def save_tiny_model(path: Path, model_class, tokenizer: WordPieceTokenizer, **overrides) -> Path:
    """A seeded random tiny `model_class` with `tokenizer`'s vocabulary, saved in `path`."""
    import torch

    torch.manual_seed(0)
    fields = dict(vocab_size=tokenizer.vocab_size, initializer_range=0.2)
    model = model_class(tiny_config(**(fields | overrides)))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def uncased_tokenizer(minilm_dir) -> WordPieceTokenizer:
    return WordPieceTokenizer.from_pretrained(minilm_dir)


@pytest.fixture(scope="session")
def mlm_dir(tmp_path_factory, uncased_tokenizer) -> Path:
    from bertkit import BertForMaskedLM

    path = tmp_path_factory.mktemp("mlm")
    return save_tiny_model(path, BertForMaskedLM, uncased_tokenizer)


@pytest.fixture(scope="session")
def ner_dir(tmp_path_factory, uncased_tokenizer) -> Path:
    from bertkit import BertForTokenClassification

    path = tmp_path_factory.mktemp("ner")
    labels = dict(enumerate(CONLL_LABELS))
    return save_tiny_model(path, BertForTokenClassification, uncased_tokenizer, id2label=labels)


@pytest.fixture(scope="session")
def qa_dir(tmp_path_factory, uncased_tokenizer) -> Path:
    from bertkit import BertForQuestionAnswering

    path = tmp_path_factory.mktemp("qa")
    return save_tiny_model(path, BertForQuestionAnswering, uncased_tokenizer)


@pytest.fixture(scope="session")
def classify_dir(tmp_path_factory, uncased_tokenizer) -> Path:
    from bertkit import BertForSequenceClassification

    path = tmp_path_factory.mktemp("classify")
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    return save_tiny_model(path, BertForSequenceClassification, uncased_tokenizer, id2label=labels)
