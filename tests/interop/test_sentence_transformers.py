"""all-MiniLM-L6-v2 survives load -> save -> load through bertkit and through sentence-transformers.

Long texts are the test that matters: they are cut at the directory's `max_seq_length` (256), so a
save that forgot it would embed them differently (cut at 512).
"""

import json

import numpy as np
import pytest

from bertkit.errors import BertkitError
from bertkit.interop.sentence_transformers import (
    load_sentence_model,
    read_layout,
    save_sentence_model,
)
from bertkit.pipelines import EmbedPipeline

SHORT = ["A man is playing a guitar.", "The weather is lovely today.", "Stocks fell sharply."]
LONG = " ".join(
    [
        "The committee met on Tuesday to review the budget for the coming year, and after a long",
        "discussion about the cost of maintaining the old bridge, the members agreed that repairs",
        "could not wait any longer, since engineers had warned that the supports were corroding.",
    ]
    * 6
)
TEXTS = SHORT + [LONG]


@pytest.fixture(scope="module")
def resaved(minilm_dir, tmp_path_factory):
    model, tokenizer, layout = load_sentence_model(minilm_dir)
    path = tmp_path_factory.mktemp("resaved")
    save_sentence_model(model, tokenizer, layout, path)
    return path


def test_the_long_text_is_longer_than_max_seq_length(minilm_dir):
    embed = EmbedPipeline(minilm_dir)
    assert len(embed.tokenizer.encode(LONG).input_ids) > 300 > embed.max_length == 256


def test_resaving_keeps_the_layout_files(minilm_dir, resaved):
    assert read_layout(resaved) == read_layout(minilm_dir)
    for name in ("sentence_bert_config.json", "config_sentence_transformers.json"):
        ours = json.loads((resaved / name).read_text())
        assert ours == json.loads((minilm_dir / name).read_text()), name
    kinds = [
        m["type"].rsplit(".", 1)[-1] for m in json.loads((resaved / "modules.json").read_text())
    ]
    assert kinds == ["Transformer", "Pooling", "Normalize"]


def test_a_second_round_trip_writes_the_same_files(resaved, tmp_path):
    save_sentence_model(*load_sentence_model(resaved), tmp_path)
    names = sorted(p.relative_to(resaved) for p in resaved.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for name in names:
        assert (tmp_path / name).read_bytes() == (resaved / name).read_bytes(), name


def test_bertkit_embeds_the_resaved_directory_exactly_as_the_original(minilm_dir, resaved):
    original = EmbedPipeline(minilm_dir)(TEXTS)
    again = EmbedPipeline(resaved)(TEXTS)
    np.testing.assert_array_equal(again, original)


def test_sentence_transformers_embeds_both_directories_alike_and_as_bertkit(minilm_dir, resaved):
    st = pytest.importorskip("sentence_transformers")
    theirs = st.SentenceTransformer(str(minilm_dir), device="cpu").encode(TEXTS)
    reloaded = st.SentenceTransformer(str(resaved), device="cpu")
    assert reloaded.max_seq_length == 256
    np.testing.assert_allclose(reloaded.encode(TEXTS), theirs, atol=1e-6, rtol=0)
    ours = EmbedPipeline(resaved)(TEXTS)
    cosine = (ours * theirs).sum(-1) / np.linalg.norm(theirs, axis=-1)
    assert cosine.min() >= 0.99999


def test_a_plain_model_directory_is_no_sentence_layout(tmp_path):
    from bertkit import BertModel
    from tests.model.tiny import tiny_config

    BertModel(tiny_config()).save_pretrained(tmp_path)
    assert read_layout(tmp_path) is None
    with pytest.raises(BertkitError, match="not a sentence-transformers directory"):
        load_sentence_model(tmp_path)


def test_an_unsupported_pooling_is_a_one_line_error(resaved, tmp_path):
    save_sentence_model(*load_sentence_model(resaved), tmp_path)
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode": "lasttoken"}')
    with pytest.raises(BertkitError, match="pooling lasttoken is not supported"):
        read_layout(tmp_path)
