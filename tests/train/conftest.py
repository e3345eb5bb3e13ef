"""A prepared synthetic data folder and tiny model configs for the pretraining tests."""

import json

import pytest

from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.tokenizer import WordPieceTokenizer
from tests.data.synthetic import VOCAB, write_corpus, write_vocab
from tests.model.tiny import tiny_config


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """Pretraining shards (sequences of 32 tokens, a held-out split) of a synthetic corpus."""
    root = tmp_path_factory.mktemp("pretrain-data")
    tokenizer = WordPieceTokenizer.from_pretrained(write_vocab(root / "vocab"))
    corpus = write_corpus(root / "corpus.txt", num_docs=60)
    config = PrepareConfig(max_seq_length=32, eval_fraction=0.1, seed=1)
    prepare_pretraining([corpus], tokenizer, root / "data", config, progress=False)
    return root / "data"


def write_model_config(path, **overrides):
    """A tiny BertConfig as config.json; dropout 0 unless asked, so runs can be compared exactly."""
    fields = dict(vocab_size=len(VOCAB), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tiny_config(**{**fields, **overrides}).to_dict()))
    return path


@pytest.fixture(scope="session")
def tiny_model_config(tmp_path_factory):
    return write_model_config(tmp_path_factory.mktemp("tiny") / "config.json")


@pytest.fixture(scope="session")
def tiny_model_config_with_dropout(tmp_path_factory):
    return write_model_config(
        tmp_path_factory.mktemp("tiny-dropout") / "config.json",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
