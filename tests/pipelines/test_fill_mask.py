"""fill-mask: top-k equal to transformers' pipeline; a clear error for each bad input."""

import pytest

from bertkit import BertForPreTraining, BertkitError
from bertkit.pipelines import FillMaskPipeline, pipeline
from tests.pipelines.conftest import save_tiny_model

TEXTS = [
    "The bank is located on the [MASK] of the river.",
    "Paris is the [MASK] of [MASK].",
    "[MASK]",
    "A longer sentence, with punctuation; numbers like 1,234 and the word [MASK] near the end.",
]


def hf_top5(model_dir, text: str) -> list[list[tuple[int, float]]]:
    from transformers import pipeline as hf_pipeline

    fill = hf_pipeline("fill-mask", model=str(model_dir), top_k=5)
    out = fill(text)
    per_mask = out if isinstance(out[0], list) else [out]
    return [[(p["token"], p["score"]) for p in predictions] for predictions in per_mask]


@pytest.mark.hf
@pytest.mark.parametrize("checkpoint", ["masked-lm", "pretraining"])
def test_fill_mask_top5_equals_transformers(checkpoint, mlm_dir, uncased_tokenizer, tmp_path):
    model_dir = mlm_dir
    if checkpoint == "pretraining":  # the NSP head is there and ignored
        model_dir = save_tiny_model(tmp_path, BertForPreTraining, uncased_tokenizer)
    fill_mask = pipeline("fill-mask", model_dir)
    for text in TEXTS:
        ours = [[(p.token_id, p.score) for p in mask] for mask in fill_mask(text, top_k=5)]
        theirs = hf_top5(model_dir, text)
        assert [[i for i, _ in mask] for mask in ours] == [[i for i, _ in m] for m in theirs]
        for mask_ours, mask_theirs in zip(ours, theirs, strict=True):
            assert [s for _, s in mask_ours] == pytest.approx([s for _, s in mask_theirs], abs=1e-6)


def test_fill_mask_gives_one_ranked_list_per_mask(mlm_dir, uncased_tokenizer):
    fill_mask = FillMaskPipeline(mlm_dir)
    masks = fill_mask("Paris is the [MASK] of [MASK].", top_k=7)
    assert len(masks) == 2
    for predictions in masks:
        assert len(predictions) == 7
        scores = [p.score for p in predictions]
        assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1
        for p in predictions:
            assert p.token == uncased_tokenizer.convert_ids_to_tokens(p.token_id)


def test_fill_mask_batch_equals_one_by_one(mlm_dir):
    fill_mask = FillMaskPipeline(mlm_dir, batch_size=2)
    together = fill_mask(TEXTS)
    for text, result in zip(TEXTS, together, strict=True):
        alone = fill_mask(text)
        assert [[p.token_id for p in m] for m in alone] == [[p.token_id for p in m] for m in result]
        for a, b in zip(alone, result, strict=True):
            assert [p.score for p in a] == pytest.approx([p.score for p in b], abs=1e-6)


@pytest.mark.parametrize("text", ["no mask here", "", "[mask] is lowercase, so not a mask"])
def test_fill_mask_without_mask_is_an_error(mlm_dir, text):
    with pytest.raises(BertkitError, match=r"has no \[MASK\] token"):
        FillMaskPipeline(mlm_dir)(text)


def test_fill_mask_longer_than_the_model_is_an_error(mlm_dir):
    text = "word " * 100 + "[MASK]"  # the tiny model reads 64 positions
    with pytest.raises(BertkitError, match="more than this model's maximum of 64"):
        FillMaskPipeline(mlm_dir)(["fine [MASK]", text])


def test_fill_mask_refuses_a_model_without_masked_lm_head(minilm_dir):
    with pytest.raises(BertkitError, match="needs a masked-lm head"):
        FillMaskPipeline(minilm_dir)


def test_fill_mask_rejects_bad_top_k(mlm_dir):
    with pytest.raises(BertkitError, match="top_k"):
        FillMaskPipeline(mlm_dir)("a [MASK]", top_k=0)
