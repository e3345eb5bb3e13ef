"""A tiny "pretrained" model directory and hand-written fake data files for every task.

The data is invented here (never copied from a real corpus): a few short sentences whose labels
follow an obvious rule, so a tiny random model can learn them in a few steps.
"""

import json
import random
from pathlib import Path

import pytest

from bertkit import BertModel
from bertkit.tokenizer import WordPieceTokenizer
from tests.model.tiny import tiny_config

WORDS = (
    "good great fine nice bad awful poor sad the movie film was is a very not plot "
    "john smith mary jones lives works in at paris london acme corp visited and "
    "who where what does ? . , 1 2 3"
).split()
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "##s", "##ed"]


def make_tiny_model_dir(path: Path) -> Path:
    """A random tiny encoder and the hand-made vocabulary, saved as a model directory."""
    config = tiny_config(vocab_size=len(VOCAB), max_position_embeddings=128)
    BertModel(config).save_pretrained(path)
    WordPieceTokenizer(VOCAB).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-pretrained"))


def write_sentiment_tsv(path: Path, rows: int = 48, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = ["sentence\tlabel"]
    for _ in range(rows):
        label = rng.randrange(2)
        word = rng.choice(["good", "great", "nice"] if label else ["bad", "awful", "poor"])
        lines.append(f"the {rng.choice(['movie', 'film'])} was very {word} \t{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_similarity_tsv(path: Path, rows: int = 40, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = ["index\tgenre\tsentence1\tsentence2\tscore"]
    for i in range(rows):
        a, b = rng.choice(WORDS[:8]), rng.choice(WORDS[:8])
        score = 5.0 if a == b else rng.choice([0.4, 1.2, 2.6])
        lines.append(f"{i}\tx\tthe movie was {a}\tthe film was {b}\t{score:.3f}")
    path.write_text("\n".join(lines) + "\n")
    return path


CONLL = """john NNP I-NP I-PER
smith NNP I-NP I-PER
lives VBZ I-VP O
in IN I-PP O
paris NNP I-NP I-LOC
. . O O

mary NNP I-NP I-PER
jones NNP I-NP I-PER
works VBZ I-VP O
at IN I-PP O
acme NNP I-NP I-ORG
corp NNP I-NP I-ORG
in IN I-PP O
london NNP I-NP I-LOC
. . O O

john NNP I-NP I-PER
visited VBD I-VP O
london NNP I-NP I-LOC
and CC O O
paris NNP I-NP B-LOC
. . O O

-DOCSTART- -X- O O
"""


def write_conll(path: Path, copies: int = 6) -> Path:
    path.write_text("\n".join([CONLL.split("\n-DOCSTART-")[0]] * copies) + "\n-DOCSTART- -X- O O\n")
    return path


def write_squad(path: Path, copies: int = 8, version: str = "1.1") -> Path:
    context = "john smith lives in paris. mary jones works at acme corp in london."
    qas = []
    for i in range(copies):
        qas.append(
            {
                "id": f"w{i}",
                "question": "where does john smith live ?",
                "answers": [{"text": "paris", "answer_start": context.index("paris")}],
            }
        )
        qas.append(
            {
                "id": f"m{i}",
                "question": "who works at acme corp ?",
                "answers": [{"text": "mary jones", "answer_start": context.index("mary")}],
            }
        )
    data = {
        "version": version,
        "data": [{"title": "t", "paragraphs": [{"context": context, "qas": qas}]}],
    }
    path.write_text(json.dumps(data, indent=1))
    return path
