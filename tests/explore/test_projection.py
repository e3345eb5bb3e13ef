"""The embedding map's PCA equals scikit-learn's (up to the sign of each axis); neighbours are
by cosine; the corpus reader takes plain lines and TSV with labels."""

import numpy as np
import pytest

from bertkit.errors import BertkitError
from bertkit.explore.projection import EmbeddingMap, read_corpus, unit


def test_pca_matches_scikit_learn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 16)) * np.linspace(3, 0.1, 16)
    texts = [str(i) for i in range(40)]
    m = EmbeddingMap.fit(texts, vectors)
    ours = m.place(vectors)
    reference = PCA(n_components=2).fit(unit(vectors))
    theirs = reference.transform(unit(vectors))
    for axis in range(2):
        sign = np.sign(ours[:, axis] @ theirs[:, axis])
        np.testing.assert_allclose(ours[:, axis] * sign, theirs[:, axis], atol=1e-8)
    np.testing.assert_allclose(m.explained, reference.explained_variance_ratio_, atol=1e-8)


def test_neighbours_are_the_most_similar_first_and_skip_the_point_itself():
    vectors = np.array([[1.0, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.5, 0.5, 0]])
    m = EmbeddingMap.fit(list("abcd"), vectors, labels=list("xxyy"))
    found = m.neighbours(vectors[0], k=2, skip=0)
    assert [n["text"] for n in found] == ["b", "d"]
    assert found[0]["score"] > found[1]["score"] and found[0]["label"] == "x"


def test_read_corpus_plain_and_labelled(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("one\n\ntwo\n")
    assert read_corpus(plain) == (["one", "two"], None)
    tsv = tmp_path / "labelled.tsv"
    tsv.write_text("sentence\tlabel\nit 's fine \t1\nbad\t0\n")
    assert read_corpus(tsv) == (["it 's fine", "bad"], ["1", "0"])
    broken = tmp_path / "broken.tsv"
    broken.write_text("a\t1\nno label here\n")
    with pytest.raises(BertkitError, match="line 2"):
        read_corpus(broken)
