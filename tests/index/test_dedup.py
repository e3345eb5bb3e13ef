"""dedup: the pairs equal sentence-transformers' `util.paraphrase_mining` on real MRPC sentences,
the FAISS search gives the exact blocks' answer, clusters are connected components."""

import numpy as np
import pytest

from bertkit import BertkitError
from bertkit.index import dedup
from bertkit.index.dedup import Pair, connected_clusters, find_duplicates, similar_pairs
from bertkit.pipelines import EmbedPipeline
from tests.conftest import need_file


@pytest.fixture(scope="module")
def sentences(data_dir) -> list[str]:
    """400 distinct MRPC dev sentences: 200 pairs, many of them paraphrases of each other."""
    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:201]
    texts = [row.split("\t")[i] for row in rows for i in (3, 4)]
    return list(dict.fromkeys(texts))  # identical texts would tie, in any order


@pytest.fixture(scope="module")
def vectors(minilm_dir, sentences) -> np.ndarray:
    return EmbedPipeline(minilm_dir)(sentences)


def key(pairs) -> list[tuple[int, int]]:
    return [(p.first, p.second) for p in pairs]


@pytest.mark.parametrize("top_k", [1, 5])
def test_top_pairs_equal_paraphrase_mining(minilm_dir, sentences, vectors, top_k):
    util = pytest.importorskip("sentence_transformers.util")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_dir), device="cpu")
    expected = util.paraphrase_mining(model, sentences, top_k=top_k)
    pairs = similar_pairs(vectors, top_k=top_k)
    assert {(i, j) for _, i, j in expected} == set(key(pairs))
    ours = {(p.first, p.second): p.score for p in pairs}
    np.testing.assert_allclose(
        [ours[(i, j)] for _, i, j in expected], [s for s, _, _ in expected], atol=1e-5
    )
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


@pytest.mark.parametrize(("threshold", "top_k"), [(0.75, None), (0.95, None), (None, 3)])
def test_the_faiss_index_gives_the_exact_answer(vectors, threshold, top_k, monkeypatch):
    brute = similar_pairs(vectors, threshold, top_k, method="brute")
    monkeypatch.setattr(dedup, "BLOCK", 7)  # several blocks, and k widened more than once
    blocks = similar_pairs(vectors, threshold, top_k, method="brute")
    index = similar_pairs(vectors, threshold, top_k, method="index")
    # The same pairs, each in score order; pairs whose scores differ by float rounding alone
    # (FAISS and numpy sum in another order: 3e-8 apart on this data) may swap places.
    assert set(key(brute)) == set(key(blocks)) == set(key(index))
    exact = {(p.first, p.second): p.score for p in brute}
    for pairs in (blocks, index):
        scores = [p.score for p in pairs]
        assert scores == sorted(scores, reverse=True)
        np.testing.assert_allclose([exact[(p.first, p.second)] for p in pairs], scores, atol=1e-5)
    np.testing.assert_allclose([p.score for p in index], [p.score for p in brute], atol=1e-5)
    if threshold is not None:  # every pair at or above it, checked against the full matrix
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        similarity = np.triu(unit @ unit.T, 1)
        assert len(brute) == int((similarity >= threshold).sum())


def test_clusters_are_connected_components():
    pairs = [Pair(0.9, 0, 1), Pair(0.9, 1, 4), Pair(0.8, 2, 3), Pair(0.7, 5, 6), Pair(0.7, 6, 7)]
    assert connected_clusters(pairs, 9) == [[0, 1, 4], [5, 6, 7], [2, 3]]
    assert connected_clusters([], 3) == []


def test_find_duplicates_groups_real_paraphrases(minilm_dir, sentences, data_dir):
    embed = EmbedPipeline(minilm_dir)
    found = find_duplicates(embed, sentences, threshold=0.9)
    assert found.pairs and found.clusters
    members = {i for c in found.clusters for i in c}
    assert members == {i for p in found.pairs for i in (p.first, p.second)}
    # Most close pairs are the two sentences of one MRPC row.
    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:201]
    row_of: dict[str, set[int]] = {}
    for number, row in enumerate(rows):
        for text in row.split("\t")[3:5]:
            row_of.setdefault(text, set()).add(number)
    same_row = [row_of[sentences[p.first]] & row_of[sentences[p.second]] for p in found.pairs]
    assert sum(map(bool, same_row)) / len(found.pairs) > 0.8


@pytest.mark.parametrize(
    ("threshold", "top_k", "message"),
    [
        (None, None, "one of the two"),
        (0.5, 3, "one of the two"),
        (2.0, None, "in \\[-1, 1\\]"),
        (None, 0, "at least 1"),
    ],
)
def test_bad_queries_are_one_error(threshold, top_k, message):
    with pytest.raises(BertkitError, match=message):
        similar_pairs(np.eye(3), threshold, top_k)
