"""Token and word vectors: equal to transformers' feature-extraction pipeline (and its hidden
states for other layers) on MiniLM and on a tiny random model; spans, words, combining layers."""

import numpy as np
import pytest
import torch

from bertkit import BertForMaskedLM, BertkitError
from bertkit.pipelines import EmbedPipeline
from tests.pipelines.conftest import save_tiny_model

transformers = pytest.importorskip("transformers")

TEXTS = [
    "Unbelievably, the tokenizer's offsets work in Zürich.",
    "Paris",
    "A much longer sentence, so that the batch is padded: twelve words or more here.",
]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory, uncased_tokenizer):
    return save_tiny_model(tmp_path_factory.mktemp("tiny"), BertForMaskedLM, uncased_tokenizer)


def hf_hidden_states(model_dir, text: str) -> list[np.ndarray]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.BertModel.from_pretrained(model_dir, add_pooling_layer=False).eval()
    with torch.no_grad():
        out = model(**tokenizer(text, return_tensors="pt"), output_hidden_states=True)
    return [h[0].numpy() for h in out.hidden_states]


@pytest.mark.parametrize("which", ["minilm", "tiny"])
def test_token_vectors_equal_the_feature_extraction_pipeline(which, minilm_dir, tiny_dir):
    model_dir = minilm_dir if which == "minilm" else tiny_dir
    reference = transformers.pipeline("feature-extraction", model=str(model_dir))
    results = EmbedPipeline(model_dir, batch_size=2)(TEXTS, tokens=True)
    for text, result in zip(TEXTS, results, strict=True):
        expected = np.asarray(reference(text))[0]  # (T, C), [CLS] and [SEP] included
        assert result.vectors.shape == expected.shape
        np.testing.assert_allclose(result.vectors, expected, atol=1e-5, rtol=0)
        assert result.tokens[0] == "[CLS]" and result.tokens[-1] == "[SEP]"
        assert len(result.tokens) == len(result.offsets) == len(result.vectors)


def test_offsets_point_at_each_token_in_the_text(minilm_dir):
    (result,) = EmbedPipeline(minilm_dir)(TEXTS[:1], tokens=True)
    text = TEXTS[0]
    for token, (start, end) in zip(result.tokens[1:-1], result.offsets[1:-1], strict=True):
        written = text[start:end].lower().replace("ü", "u")
        assert written == token.removeprefix("##"), (token, written)
    assert result.offsets[0] == result.offsets[-1] == (0, 0)


def test_words_average_their_pieces(minilm_dir):
    pipe = EmbedPipeline(minilm_dir)
    (tokens,) = pipe(TEXTS[:1], tokens=True)
    (words,) = pipe(TEXTS[:1], tokens=True, words=True)
    assert words.tokens == [
        "Unbelievably",
        ",",
        "the",
        "tokenizer",
        "'",
        "s",
        "offsets",
        "work",
        "in",
        "Zürich",
        ".",
    ]
    assert [TEXTS[0][s:e] for s, e in words.offsets] == words.tokens
    # "Unbelievably" is un ##bel ##ie ##va ##bly: positions 1..5 of the token vectors.
    np.testing.assert_allclose(words.vectors[0], tokens.vectors[1:6].mean(0), atol=1e-6)
    np.testing.assert_allclose(words.vectors[2], tokens.vectors[7], atol=1e-6)


@pytest.mark.parametrize("combine", ["concat", "sum", "mean"])
def test_layers_combine_like_the_hidden_states(combine, tiny_dir):
    text = TEXTS[0]
    states = hf_hidden_states(tiny_dir, text)  # embeddings, layer 1, layer 2
    layers = [-1, -2, 0]
    result = EmbedPipeline(tiny_dir)(text, tokens=True, layers="-1,-2,0", combine=combine)
    chosen = [states[layer] for layer in layers]
    expected = {
        "concat": np.concatenate(chosen, -1),
        "sum": np.sum(chosen, 0),
        "mean": np.mean(chosen, 0),
    }[combine]
    np.testing.assert_allclose(result.vectors, expected, atol=1e-5, rtol=0)


def test_bad_options_are_one_line(tiny_dir):
    pipe = EmbedPipeline(tiny_dir)
    with pytest.raises(BertkitError, match="layer must be in -3..2, got 5"):
        pipe("a", tokens=True, layers=[5])
    with pytest.raises(BertkitError, match="name a layer twice"):
        pipe("a", tokens=True, layers="-1,2")
    with pytest.raises(BertkitError, match="expected integers"):
        pipe("a", tokens=True, layers="last")
    with pytest.raises(BertkitError, match="combine must be one of"):
        pipe("a", tokens=True, combine="max")
    assert pipe([], tokens=True) == []
