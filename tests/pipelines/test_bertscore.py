"""score (BERTScore): equal to the bert-score package on 50 real MRPC pairs with MiniLM, at the
last layer and an inner one, with and without idf, one of them a pair with a token whose every
cosine is negative; the formula's edge cases; one-line errors."""

import numpy as np
import pytest

from bertkit import BertkitError
from bertkit.pipelines import BertScorePipeline
from bertkit.pipelines.bertscore import Score, corpus_score, greedy_match, token_vectors
from tests.conftest import need_file


def mrpc_pairs(data_dir, count: int) -> tuple[list[str], list[str]]:
    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:]
    rows = [row.split("\t") for row in rows[:count]]
    return [r[3] for r in rows], [r[4] for r in rows]


# MRPC train row 587: at MiniLM's last layer a candidate token ("boe") has cosine < 0 to every
# reference token, the one such pair in the first 1,000; bert-score counts that token 0.
NEGATIVE_ROW = 587


def mrpc_train_pair(data_dir, row: int) -> tuple[str, str]:
    rows = need_file(data_dir / "mrpc" / "train.tsv").read_text("utf-8-sig").splitlines()[1:]
    fields = rows[row].split("\t")
    return fields[3], fields[4]


@pytest.mark.parametrize(("layer", "idf"), [(6, False), (6, True), (3, True)])
def test_equal_to_bert_score_on_mrpc(minilm_dir, data_dir, layer, idf):
    bert_score = pytest.importorskip("bert_score")
    candidates, references = mrpc_pairs(data_dir, 50)
    candidates[7] = references[7]  # one identical pair
    # Not the longest of its bert-score batch of 16, so that bert-score pads it.
    candidates[3], references[3] = mrpc_train_pair(data_dir, NEGATIVE_ROW)
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


def test_a_token_with_only_negative_cosines_counts_zero(minilm_dir, data_dir):
    candidate, reference = mrpc_train_pair(data_dir, NEGATIVE_ROW)
    pipe = BertScorePipeline(minilm_dir)
    encodings = pipe.encode_truncated([candidate, reference])
    c, r = token_vectors(pipe, encodings, pipe.layer)
    assert (c @ r.T).max(axis=1).min() < 0  # the case is still there at the default layer
    weights = [np.array([0.0, *[1.0] * (len(v) - 2), 0.0]) for v in (c, r)]
    score = greedy_match(c, r, *weights)
    assert score == pipe(candidate, reference)
    floored = np.maximum((c @ r.T).max(axis=1), 0) @ weights[0] / weights[0].sum()
    assert score.precision == pytest.approx(floored, abs=1e-7)
    assert score.precision > (c @ r.T).max(axis=1) @ weights[0] / weights[0].sum()


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
    # The third token points away from every reference token (cosine -0.577 to each): it
    # counts 0, not -0.577.
    away = np.stack([cls, a, -(cls + a + sep) / np.sqrt(3), sep])
    score = greedy_match(away, reference, np.array([0, 1, 1, 0.0]), np.array([0, 1, 0.0]))
    assert score == Score(precision=0.5, recall=1.0, f1=2 * 0.5 / 1.5)


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
