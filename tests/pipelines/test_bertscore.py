"""score (BERTScore): equal to the bert-score package on 50 real MRPC pairs with MiniLM, at the
last layer and an inner one, with and without idf; the formula's edge cases; one-line errors."""

import numpy as np
import pytest

from bertkit import BertkitError
from bertkit.pipelines import BertScorePipeline
from bertkit.pipelines.bertscore import Score, corpus_score, greedy_match
from tests.conftest import need_file


def mrpc_pairs(data_dir, count: int) -> tuple[list[str], list[str]]:
    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:]
    rows = [row.split("\t") for row in rows[:count]]
    return [r[3] for r in rows], [r[4] for r in rows]


@pytest.mark.parametrize(("layer", "idf"), [(6, False), (6, True), (3, True)])
def test_equal_to_bert_score_on_mrpc(minilm_dir, data_dir, layer, idf):
    bert_score = pytest.importorskip("bert_score")
    candidates, references = mrpc_pairs(data_dir, 50)
    candidates[7] = references[7]  # one identical pair
    expected = bert_score.score(
        candidates,
        references,
        model_type=str(minilm_dir),
        num_layers=layer,
        idf=idf,
        batch_size=16,
        nthreads=1,
    )
    expected = np.stack([t.numpy() for t in expected], axis=1)  # (50, 3): P, R, F1
    scores = BertScorePipeline(minilm_dir, layer=layer, idf=idf, batch_size=8)(
        candidates, references
    )
    got = np.array([[s.precision, s.recall, s.f1] for s in scores])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(got[7], 1.0, atol=1e-5)
    total = corpus_score(scores)
    np.testing.assert_allclose(
        [total.precision, total.recall, total.f1], expected.mean(0), atol=1e-5
    )


def test_layer_minus_one_is_the_last(minilm_dir, data_dir):
    candidates, references = mrpc_pairs(data_dir, 5)
    last = BertScorePipeline(minilm_dir)(candidates, references)
    six = BertScorePipeline(minilm_dir, layer=6)(candidates, references)
    assert last == six


def test_greedy_match_by_hand():
    # Candidate tokens [CLS] a b [SEP]; reference [CLS] a [SEP]: "b" has no match in the reference.
    cls, a, b, sep = np.eye(4)
    candidate = np.stack([cls, a, b, sep])
    reference = np.stack([cls, a, sep])
    score = greedy_match(candidate, reference, np.array([0, 1, 1, 0.0]), np.array([0, 1, 0.0]))
    assert score == Score(precision=0.5, recall=1.0, f1=2 * 0.5 / 1.5)
    empty = greedy_match(np.stack([cls, sep]), reference, np.zeros(2), np.array([0, 1, 0.0]))
    assert empty == Score(0.0, 0.0, 0.0)


def test_an_empty_candidate_scores_zero(minilm_dir):
    score = BertScorePipeline(minilm_dir)(["", "A cat sat."], ["A cat sat.", "A cat sat."])
    assert score[0] == Score(0.0, 0.0, 0.0)
    assert score[1].f1 == pytest.approx(1.0, abs=1e-6)


def test_bad_input_is_one_error(minilm_dir):
    score = BertScorePipeline(minilm_dir)
    with pytest.raises(BertkitError, match="2 candidates but 1 references"):
        score(["a", "b"], ["a"])
    with pytest.raises(BertkitError, match="layer must be in"):
        BertScorePipeline(minilm_dir, layer=7)
