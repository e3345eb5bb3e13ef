"""Fixtures for tokenizer tests: the real vocabularies, the HF oracle, and every real text corpus.

Corpora are read from the shared data folder (never copied into the repo): one list of texts per
file, and (first, second) pairs where a file has pairs. CoNLL-2003 sentences are rebuilt by joining
tokens with spaces.
"""

import csv
import json
from pathlib import Path

import pytest

VOCABS = {"uncased": True, "cased": False}  # name -> do_lower_case


def _tsv_rows(path: Path, skip_header: bool = True) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[1:] if skip_header else rows


def _conll_sentences(path: Path) -> list[str]:
    sentences, words = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip() or line.startswith("-DOCSTART-"):
            if words:
                sentences.append(" ".join(words))
            words = []
        else:
            words.append(line.split(" ")[0])
    if words:
        sentences.append(" ".join(words))
    return sentences


def load_corpora(data: Path) -> dict[str, list[str]]:
    """Every text of every corpus and labeled set: file name -> texts."""
    corpora: dict[str, list[str]] = {}
    for name in ("wiki.valid.raw", "wiki.test.raw"):
        corpora[name] = (data / "wikitext-2-raw" / name).read_text(encoding="utf-8").split("\n")
    for name in ("train.tsv", "dev.tsv"):
        corpora[f"sst2/{name}"] = [r[0] for r in _tsv_rows(data / "sst2" / name)]
    ptb = _tsv_rows(data / "sst2/test_labeled_ptb.tsv")
    corpora["sst2/test_labeled_ptb.tsv"] = [r[1] for r in ptb]
    for path, cols in _pair_files(data):
        rows = _tsv_rows(path, skip_header=path.suffix != ".csv")
        corpora[str(path.relative_to(data))] = [r[c] for r in rows for c in cols if len(r) > c]
    squad = json.loads((data / "squad-v1.1/dev-v1.1.json").read_text(encoding="utf-8"))
    paragraphs = [p for article in squad["data"] for p in article["paragraphs"]]
    corpora["squad/contexts"] = [p["context"] for p in paragraphs]
    corpora["squad/questions"] = [q["question"] for p in paragraphs for q in p["qas"]]
    for name in ("eng.train", "eng.testa", "eng.testb"):
        corpora[f"conll2003/{name}"] = _conll_sentences(data / "conll2003" / name)
    return corpora


def _pair_files(data: Path) -> list[tuple[Path, tuple[int, int]]]:
    mrpc = ("train.tsv", "dev.tsv", "test.tsv", "msr_paraphrase_train.txt")
    mrpc += ("msr_paraphrase_test.txt",)
    files = [(data / "mrpc" / n, (3, 4)) for n in mrpc]
    files += [(data / "stsb/glue" / n, (7, 8)) for n in ("train.tsv", "dev.tsv", "test.tsv")]
    sts = ("sts-train.csv", "sts-dev.csv", "sts-test.csv")
    files += [(data / "stsb/original" / n, (5, 6)) for n in sts]
    return files


def load_pairs(data: Path) -> dict[str, list[tuple[str, str]]]:
    """Sentence pairs (MRPC, STS-B) and SQuAD (question, context) pairs: file name -> pairs."""
    pairs = {}
    for path, (c1, c2) in _pair_files(data):
        rows = _tsv_rows(path, skip_header=path.suffix != ".csv")
        pairs[str(path.relative_to(data))] = [(r[c1], r[c2]) for r in rows if len(r) > c2]
    squad = json.loads((data / "squad-v1.1/dev-v1.1.json").read_text(encoding="utf-8"))
    pairs["squad"] = [
        (q["question"], p["context"])
        for article in squad["data"]
        for p in article["paragraphs"]
        for q in p["qas"]
    ]
    return pairs


@pytest.fixture(scope="session")
def corpora(data_dir: Path) -> dict[str, list[str]]:
    return load_corpora(data_dir)


@pytest.fixture(scope="session")
def corpus_pairs(data_dir: Path) -> dict[str, list[tuple[str, str]]]:
    return load_pairs(data_dir)


@pytest.fixture(scope="session", params=list(VOCABS))
def vocab_name(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def ours(data_dir: Path, vocab_name: str):
    from bertkit.tokenizer import WordPieceTokenizer

    return WordPieceTokenizer.from_pretrained(data_dir / f"vocab/bert-base-{vocab_name}")


@pytest.fixture(scope="session")
def hf(data_dir: Path, vocab_name: str):
    """The oracle: transformers' BertTokenizerFast on the same vocab.txt."""
    transformers = pytest.importorskip("transformers")
    # transformers 5 ignores a `vocab_file=` keyword here (empty vocabulary): pass it by position.
    hf = transformers.BertTokenizerFast(
        str(data_dir / f"vocab/bert-base-{vocab_name}/vocab.txt"), do_lower_case=VOCABS[vocab_name]
    )
    assert hf.vocab_size > 20000
    return hf
