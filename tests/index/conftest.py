"""Real passages (SQuAD dev paragraphs) and tiny embedding models for the index tests.

A 2-layer random model with the real uncased vocabulary embeds in milliseconds; the index's
properties (equal to brute force, persistence, atomic writes, refusing another model) do not
depend on trained weights. One test uses the real MiniLM checkpoint for retrieval quality.
"""

import json
from pathlib import Path

import pytest

from bertkit import BertModel
from bertkit.tokenizer import WordPieceTokenizer
from tests.conftest import need_file
from tests.pipelines.conftest import save_tiny_model


@pytest.fixture(scope="session")
def squad_paragraphs(data_dir) -> list[dict]:
    """Every SQuAD v1.1 dev paragraph as {"id", "text", "metadata", "question"}, in file order."""
    squad = json.loads(need_file(data_dir / "squad-v1.1" / "dev-v1.1.json").read_text())
    rows = []
    for article in squad["data"]:
        for number, paragraph in enumerate(article["paragraphs"]):
            rows.append(
                {
                    "id": f"{article['title']}/{number}",
                    "text": paragraph["context"],
                    "metadata": {"title": article["title"]},
                    "question": paragraph["qas"][0]["question"],
                }
            )
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({k: row[k] for k in ("id", "text", "metadata")}) + "\n")
    return path


@pytest.fixture(scope="session")
def tiny_embedder(tmp_path_factory, minilm_dir) -> Path:
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    return save_tiny_model(tmp_path_factory.mktemp("tiny-embed"), BertModel, tokenizer)


@pytest.fixture(scope="session")
def other_embedder(tmp_path_factory, minilm_dir) -> Path:
    """The same tiny architecture with other weights: another model for the index."""
    import torch

    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    path = tmp_path_factory.mktemp("other-embed")
    torch.manual_seed(1)
    from tests.model.tiny import tiny_config

    model = BertModel(tiny_config(vocab_size=tokenizer.vocab_size, initializer_range=0.2))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def classify_regression_dir(tmp_path_factory, minilm_dir) -> Path:
    """A one-output sequence classifier: the shape of a cross-encoder."""
    from bertkit import BertForSequenceClassification

    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    path = tmp_path_factory.mktemp("cross-encoder")
    return save_tiny_model(
        path, BertForSequenceClassification, tokenizer, num_labels=1, id2label={0: "relevance"}
    )
