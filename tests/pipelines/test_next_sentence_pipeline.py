"""next-sentence: P(B follows A) equals transformers' BertForNextSentencePrediction on the same
pretraining checkpoint; ranking; the errors a user meets."""

import pytest
import torch

from bertkit import BertForPreTraining, BertkitError
from bertkit.pipelines import NextSentencePipeline, pipeline
from tests.pipelines.conftest import save_tiny_model

transformers = pytest.importorskip("transformers")

FIRST = "The storm reached the coast on Monday."
CANDIDATES = [
    "Thousands of homes lost power.",
    "The recipe calls for two eggs.",
    "Schools were closed for the rest of the week.",
    "x",
]


@pytest.fixture(scope="module")
def nsp_dir(tmp_path_factory, uncased_tokenizer):
    path = tmp_path_factory.mktemp("pretraining")
    return save_tiny_model(path, BertForPreTraining, uncased_tokenizer)


def reference(model_dir, tokenizer, firsts, seconds) -> list[float]:
    model = transformers.BertForNextSentencePrediction.from_pretrained(model_dir).eval()
    scores = []
    for a, b in zip(firsts, seconds, strict=True):  # one at a time: no padding in the oracle
        inputs = tokenizer(a, b, return_tensors="pt")
        inputs = {k: inputs[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
        with torch.no_grad():
            scores.append(float(model(**inputs).logits.softmax(-1)[0, 0]))
    return scores


def test_scores_equal_transformers_on_a_pretraining_checkpoint(nsp_dir, uncased_tokenizer):
    firsts = [FIRST] * len(CANDIDATES)
    results = NextSentencePipeline(nsp_dir, batch_size=3)(firsts, CANDIDATES)  # padded batches
    expected = reference(nsp_dir, uncased_tokenizer, firsts, CANDIDATES)
    assert [r.score for r in results] == pytest.approx(expected, abs=1e-5)
    assert [r.is_next for r in results] == [s > 0.5 for s in expected]
    assert len({round(s, 4) for s in expected}) > 1  # a head that tells the pairs apart
    one = pipeline("next-sentence", nsp_dir)(FIRST, CANDIDATES[0])
    assert one.score == pytest.approx(expected[0], abs=1e-5)


def test_rank_orders_the_candidates_by_score(nsp_dir):
    pipe = NextSentencePipeline(nsp_dir)
    ranking = pipe.rank(FIRST, CANDIDATES)
    scores = [r.score for r in pipe([FIRST] * len(CANDIDATES), CANDIDATES)]
    assert sorted(r.index for r in ranking) == list(range(len(CANDIDATES)))
    assert [r.score for r in ranking] == sorted(scores, reverse=True)
    assert all(CANDIDATES[r.index] == r.text for r in ranking)
    assert pipe.rank(FIRST, CANDIDATES, top_k=2) == ranking[:2]


def test_errors_are_one_line(nsp_dir, mlm_dir):
    pipe = NextSentencePipeline(nsp_dir)
    with pytest.raises(BertkitError, match="got 2 first sentences but 1 second"):
        pipe(["a", "b"], ["c"])
    with pytest.raises(BertkitError, match="at least one candidate"):
        pipe.rank("a", [])
    with pytest.raises(BertkitError, match="needs a next-sentence head"):
        NextSentencePipeline(mlm_dir)
