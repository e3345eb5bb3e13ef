"""Real data for the data tests: WikiText-2 validation through the bert-base-uncased vocab."""

import pytest

from bertkit.data.corpus import read_documents
from bertkit.data.prepare import tokenize_sentence
from bertkit.tokenizer import WordPieceTokenizer
from tests.conftest import need_file


@pytest.fixture(scope="session")
def bert_tokenizer(data_dir):
    return WordPieceTokenizer.from_pretrained(
        need_file(data_dir / "vocab" / "bert-base-uncased" / "vocab.txt")
    )


@pytest.fixture(scope="session")
def wikitext_documents(data_dir, bert_tokenizer) -> list[list[list[int]]]:
    """wiki.valid.raw as documents of tokenized sentences."""
    path = need_file(data_dir / "wikitext-2-raw" / "wiki.valid.raw")
    return [
        [ids for ids in (tokenize_sentence(bert_tokenizer, s) for s in doc) if ids]
        for doc in read_documents(path, "wikitext")
    ]
