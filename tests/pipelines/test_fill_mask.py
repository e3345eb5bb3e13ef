"""fill-mask: top-k equal to transformers' pipeline; a clear error for each bad input."""

import pytest

from bertkit import BertForMaskedLM, BertForPreTraining, BertkitError
from bertkit.cli.main import main
from bertkit.pipelines import FillMaskPipeline, pipeline
from bertkit.tokenizer import WordPieceTokenizer
from tests.conftest import need_file
from tests.pipelines.conftest import save_tiny_model
from tests.train.conftest import write_model_config

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
    assert_same_top5(model_dir, TEXTS)


def assert_same_top5(model_dir, texts: list[str]) -> None:
    fill_mask = pipeline("fill-mask", model_dir)
    for text in texts:
        ours = [[(p.token_id, p.score) for p in mask] for mask in fill_mask(text, top_k=5)]
        theirs = hf_top5(model_dir, text)
        assert [[i for i, _ in mask] for mask in ours] == [[i for i, _ in m] for m in theirs]
        for mask_ours, mask_theirs in zip(ours, theirs, strict=True):
            assert [s for _, s in mask_ours] == pytest.approx([s for _, s in mask_theirs], abs=1e-6)


@pytest.mark.hf
def test_fill_mask_top5_equals_transformers_with_the_cased_vocabulary(data_dir, tmp_path):
    cased = WordPieceTokenizer.from_pretrained(need_file(data_dir / "vocab/bert-base-cased"))
    model_dir = save_tiny_model(tmp_path, BertForMaskedLM, cased)
    assert_same_top5(model_dir, [*TEXTS, "Angela Merkel met [MASK] in Zürich; [MASK] Ölçek."])


@pytest.mark.hf
def test_fill_mask_top5_equals_transformers_on_a_model_pretrained_by_bertkit(
    data_dir, minilm_dir, tmp_path, capsys
):
    """Real text, the real uncased vocabulary, `bertkit prepare-pretraining` then `pretrain`."""
    lines = need_file(data_dir / "wikitext-2-raw/wiki.valid.raw").read_text().splitlines()[:400]
    corpus = tmp_path / "wiki.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data, run = tmp_path / "data", tmp_path / "run"
    prepare = ["prepare-pretraining", "--corpus", str(corpus), "--vocab-from", str(minilm_dir)]
    assert main([*prepare, "--out", str(data), "--max-seq-length", "48", "--no-progress"]) == 0
    config = write_model_config(tmp_path / "tiny" / "config.json", vocab_size=30522)
    pretrain = ["pretrain", "--data", str(data), "--config", str(config), "--out", str(run)]
    assert main([*pretrain, "--max-steps", "20", "--batch-size", "8", "--no-progress"]) == 0
    capsys.readouterr()
    assert_same_top5(run / "model", TEXTS)


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
