"""A tiny vocabulary and a synthetic corpus for fast data, training and CLI tests."""

from pathlib import Path

import numpy as np

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = [f"w{i}" for i in range(80)]
PIECES = ["##s", "##ed", "##ing"]
VOCAB = SPECIALS + WORDS + PIECES + ["."]  # 89 tokens


def write_vocab(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "vocab.txt"
    path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return path


def documents(num_docs: int, seed: int = 0) -> list[list[str]]:
    """Documents of 2-14 sentences of 3-11 words; a quarter of the words end in a ## piece."""
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(num_docs):
        sentences = []
        for _ in range(int(rng.integers(2, 15))):
            num_words = int(rng.integers(3, 12))
            stems = rng.choice(WORDS, num_words)
            endings = rng.choice(["", "s", "ed", "ing"], num_words, p=[0.75, 0.1, 0.1, 0.05])
            words = [stem + ending for stem, ending in zip(stems, endings, strict=True)]
            sentences.append(" ".join(words) + " .")
        docs.append(sentences)
    return docs


def write_corpus(path: Path, num_docs: int = 40, seed: int = 0) -> Path:
    """The corpus in google's layout: one sentence per line, a blank line between documents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join("\n".join(doc) for doc in documents(num_docs, seed)) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
