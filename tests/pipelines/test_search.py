"""search: the closest passages by cosine, and a corpus cache that is reused until the corpus or
the model changes."""

import logging
import os

import numpy as np
import pytest

from bertkit import BertkitError
from bertkit.pipelines import EmbedPipeline, SearchPipeline

PASSAGES = [
    "json.dumps: Serialize an object to a JSON formatted string.",
    "shutil.copyfile: Copy the contents of a file to another file.",
    "random.choice: Choose a random element from a non-empty sequence.",
    "threading.Thread.join: Wait until the thread terminates.",
    "gzip.compress: Compress the data, returning a bytes object.",
]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(PASSAGES[:2]) + "\n\n" + "\n".join(PASSAGES[2:]) + "\n")
    return path


def test_search_finds_the_passage_that_answers(minilm_dir, corpus):
    search = SearchPipeline(minilm_dir, corpus=corpus)
    hits = search("how do I turn an object into JSON text?", k=3)
    assert [hit.index for hit in hits][0] == 0 and len(hits) == 3
    assert hits[0].text == PASSAGES[0] and hits[0].line == 1
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    best = [hits[0].index for hits in search(["wait for a thread", "pick one at random"], k=1)]
    assert best == [3, 2]
    assert search("anything", k=1)[0].line in (1, 2, 4, 5, 6)  # blank line 3 is skipped


def test_search_scores_are_the_cosine_of_embeddings(minilm_dir):
    search = SearchPipeline(minilm_dir, corpus=PASSAGES)
    embed = EmbedPipeline(minilm_dir)
    query = "compress some bytes"
    expected = embed(PASSAGES) @ embed(query)
    hits = search(query, k=len(PASSAGES))
    for hit in hits:
        assert hit.score == pytest.approx(float(expected[hit.index]), abs=1e-5)
        assert hit.line is None


def test_corpus_embeddings_are_cached_and_invalidated(minilm_dir, corpus, caplog):
    caplog.set_level(logging.INFO)
    cache = corpus.with_name("corpus.txt.embeddings.npz")
    SearchPipeline(minilm_dir, corpus=corpus)
    assert cache.exists() and "cached in" in caplog.text
    caplog.clear()
    second = SearchPipeline(minilm_dir, corpus=corpus)
    assert "read from" in caplog.text
    caplog.clear()
    with corpus.open("a") as f:  # the corpus changes: recomputed, with the new passage
        f.write("zipfile.ZipFile: Read and write ZIP files.\n")
    third = SearchPipeline(minilm_dir, corpus=corpus)
    assert "cached in" in caplog.text and len(third.embeddings) == len(second.embeddings) + 1
    caplog.clear()
    SearchPipeline(minilm_dir, corpus=corpus, pooling="cls")  # other options: another key
    assert "cached in" in caplog.text
    with np.load(cache) as stored:
        assert stored["embeddings"].shape == (6, 384)


def test_a_changed_model_invalidates_the_cache(mlm_dir, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    import shutil

    model_dir = tmp_path / "model"
    shutil.copytree(mlm_dir, model_dir)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(PASSAGES) + "\n")
    SearchPipeline(model_dir, corpus=corpus)
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a retrained model
    caplog.clear()
    SearchPipeline(model_dir, corpus=corpus)
    assert "cached in" in caplog.text and "read from" not in caplog.text


def test_an_empty_corpus_is_an_error(minilm_dir, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(BertkitError, match="no passage to search"):
        SearchPipeline(minilm_dir, corpus=empty)
    with pytest.raises(BertkitError, match="no such file"):
        SearchPipeline(minilm_dir, corpus=tmp_path / "missing.txt")
