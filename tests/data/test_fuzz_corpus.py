"""Fuzzing the pretraining data path: corpus text (binary, huge lines, mixed encodings, .gz), the
prepared folder's index.json and its shard files, and prepare_pretraining end to end.

Corpus reading never fails on content (damaged lines are skipped and counted); a damaged prepared
folder is one BertkitError naming the folder's file; a huge line costs bounded memory.
"""

import gzip
import json
import shutil
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bertkit.data.corpus import FORMATS, CorpusStats, read_documents
from bertkit.data.dataset import PretrainingData
from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.tokenizer import WordPieceTokenizer
from tests.data.synthetic import write_corpus, write_vocab
from tests.fuzzing import FUZZ, check, encoded, format_text, json_values, scratch

corpus_text = st.lists(
    st.sampled_from([" = Title = ", " = = Section = = ", "", "w1 w2 . W3 w4 !", "Dr. X went."])
    | format_text,
    max_size=30,
).map("\n".join)
corpus_bytes = encoded(corpus_text)


def read_all(path, fmt, max_line_bytes):
    stats = CorpusStats()
    documents = list(read_documents(path, fmt, stats, max_line_bytes=max_line_bytes))
    assert all(document and all(s.strip() for s in document) for document in documents)
    assert stats.documents == len(documents)
    return documents


@FUZZ
@given(
    data=corpus_bytes,
    fmt=st.sampled_from(FORMATS),
    max_line_bytes=st.sampled_from([16, 500_000]),
    compression=st.sampled_from(["", "gz", "gz-truncated", "fake-gz"]),
)
def test_corpus_reader_on_any_bytes(data, fmt, max_line_bytes, compression):
    path = scratch("corpus.txt" + (".gz" if compression else ""))
    if compression == "gz":
        data = gzip.compress(data)
    elif compression == "gz-truncated":
        data = gzip.compress(data)[: len(data) // 2]
    path.write_bytes(data)
    check("corpus", read_all, path, fmt, max_line_bytes, names=(str(path),))


def test_a_huge_line_costs_bounded_memory(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:  # 24 MB without a newline, between two good documents
        f.write(b"First doc.\n\n")
        for _ in range(24):
            f.write(b"x" * 2**20)
        f.write(b"\n\nLast doc.\n")
    tracemalloc.start()
    stats = CorpusStats()
    documents = list(read_documents(path, "bert", stats, max_line_bytes=2**16))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert documents == [["First doc."], ["Last doc."]]
    assert stats.too_long_lines == 1
    assert peak < 2**20, f"reading a 24 MB line took {peak} bytes"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A small prepared folder with train and eval shards and static masks."""
    root = tmp_path_factory.mktemp("prepared")
    tokenizer = WordPieceTokenizer.from_pretrained(write_vocab(root / "vocab"))
    corpus = write_corpus(root / "corpus.txt", num_docs=30)
    config = PrepareConfig(
        max_seq_length=32, docs_per_shard=10, eval_fraction=0.2, seed=1, masking="static"
    )
    prepare_pretraining([corpus], tokenizer, root / "data", config, progress=False)
    return root / "data"


def read_every_batch(directory):
    for split in ("train", "eval"):
        data = PretrainingData(directory, split)
        for start in range(0, len(data), 8):
            data.collate(list(range(start, min(start + 8, len(data)))), epoch=1)


def index_edits():
    """(dotted field, new value) pairs; None deletes the field."""
    fields = st.sampled_from(
        ["token_dtype", "splits", "splits.train", "config", "config.masking",
         "config.max_seq_length", "config.masking_config", "config.masking_config.mask_prob",
         "splits.train.0", "splits.train.0.name", "splits.train.0.instances",
         "splits.train.0.tokens"]
    )  # fmt: skip
    return st.lists(st.tuples(fields, st.none() | json_values | st.integers(-2, 10**4)), max_size=3)


def edit(index: dict, name: str, value) -> None:
    *parents, last = name.split(".")
    node = index
    for key in [*parents, last]:
        if isinstance(node, list) != key.isdigit():
            return  # the path no longer exists after an earlier edit
        if key is last:
            break
        if key.isdigit():
            node = node[int(key)] if int(key) < len(node) else None
        else:
            node = node.get(key)
        if not isinstance(node, dict | list):
            return
    if isinstance(node, list):
        if int(last) < len(node):
            node[int(last)] = value
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


@FUZZ
@given(edits=index_edits(), raw=st.none() | encoded())
def test_damaged_index_json(prepared, edits, raw):
    directory = scratch("data")
    shutil.copytree(prepared, directory)
    index = json.loads((directory / "index.json").read_text())
    for name, value in edits:
        edit(index, name, value)
    data = raw if raw is not None else json.dumps(index).encode()
    (directory / "index.json").write_bytes(data)
    check("index.json", read_every_batch, directory, names=(str(directory),))


@FUZZ
@given(
    kind=st.sampled_from(["tokens", "instances", "labels"]),
    cut=st.none() | st.integers(0, 10**5),
    flips=st.lists(st.tuples(st.integers(0, 10**5), st.integers(0, 255)), max_size=6),
)
def test_damaged_shard_files(prepared, kind, cut, flips):
    directory = scratch("data")
    shutil.copytree(prepared, directory)
    path = directory / f"train-00000.{kind}.bin"
    if path.exists():
        data = bytearray(path.read_bytes())
        if cut is not None:
            data = data[: cut % (len(data) + 1)]
        for position, value in flips:
            if data:
                data[position % len(data)] = value
        path.write_bytes(bytes(data))
    check("shards", read_every_batch, directory, names=(str(directory),))


@FUZZ
@given(data=corpus_bytes, nsp=st.booleans())
def test_prepare_pretraining_on_any_corpus(data, nsp):
    root = scratch("")
    tokenizer = WordPieceTokenizer.from_pretrained(write_vocab(root / "vocab"))
    (root / "corpus.txt").write_bytes(data)
    config = PrepareConfig(max_seq_length=16, docs_per_shard=4, seed=0, nsp=nsp)
    prepare = prepare_pretraining
    summary = check("prepare", prepare, [root / "corpus.txt"], tokenizer, root / "out", config,
                    progress=False, names=(str(root), "corpus"))  # fmt: skip
    if summary is not None:
        read_every_batch(root / "out")
