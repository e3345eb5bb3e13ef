"""ner: entity spans are exact slices of the input, for CoNLL sentences and long documents read in
windows; windows change nothing when the model is context-free; bad directories are refused."""

import os

import pytest
import torch

from bertkit import BertForTokenClassification, BertkitError
from bertkit.pipelines import NerPipeline
from tests.conftest import need_file
from tests.pipelines.conftest import CONLL_LABELS, save_tiny_model

# BERTKIT_FULL_CHECKS=1 checks every sentence of the file instead of a sample.
FULL = os.environ.get("BERTKIT_FULL_CHECKS") == "1"


def conll_sentences(path) -> list[str]:
    sentences, words = [], []
    for line in [*need_file(path).read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip() and not line.startswith("-DOCSTART-"):
            words.append(line.split()[0])
        elif words:
            sentences.append(" ".join(words))
            words = []
    return sentences


def assert_exact_spans(text: str, entities) -> None:
    previous_end = 0
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
        assert entity.text and entity.text == entity.text.strip()
        assert entity.start >= previous_end  # in order, never overlapping
        assert entity.type in {"PER", "ORG", "LOC", "MISC"}
        assert 0 < entity.score <= 1
        previous_end = entity.end


def test_ner_spans_are_exact_on_conll_dev(ner_dir, data_dir):
    sentences = conll_sentences(data_dir / "conll2003/eng.testa")
    assert len(sentences) == 3250
    if not FULL:
        sentences = sentences[::10]
    ner = NerPipeline(ner_dir, batch_size=64)
    results = ner(sentences)
    assert sum(len(entities) for entities in results) > len(sentences)  # random head: many
    for sentence, entities in zip(sentences, results, strict=True):
        assert_exact_spans(sentence, entities)


def test_ner_spans_are_exact_on_long_documents_in_windows(ner_dir, data_dir):
    sentences = conll_sentences(data_dir / "conll2003/eng.testb")[:400]
    documents = ["  ".join(sentences[i : i + 40]) for i in range(0, len(sentences), 40)]
    ner = NerPipeline(ner_dir, max_length=32, stride=8)
    for document, entities in zip(documents, ner(documents), strict=True):
        assert_exact_spans(document, entities)
        assert entities[-1].end > len(document) - 200  # the end of the text is read too


def test_ner_offsets_point_into_the_original_text(ner_dir):
    text = "Zoë  Saldaña flew to SÃO PAULO\tand\nKraków (Poland) — naïve café."
    entities = NerPipeline(ner_dir)(text)
    assert entities
    assert_exact_spans(text, entities)


@pytest.fixture(scope="module")
def context_free_ner_dir(tmp_path_factory, uncased_tokenizer):
    """A token classifier whose output for a token depends on that token alone: no position
    embeddings and attention that adds only its bias. Windows must then change nothing."""
    path = tmp_path_factory.mktemp("context-free-ner")
    labels = dict(enumerate(CONLL_LABELS))
    save_tiny_model(path, BertForTokenClassification, uncased_tokenizer, id2label=labels)
    model = BertForTokenClassification.from_pretrained(path)
    with torch.no_grad():
        model.bert.embeddings.pos_emb.weight.zero_()
        for layer in model.bert.encoder.layers:
            layer.attn.out.weight.zero_()
    model.save_pretrained(path)
    return path


@pytest.mark.parametrize(("max_length", "stride"), [(8, 0), (12, 3), (20, 9), (33, 30)])
def test_windows_give_the_same_entities_as_one_pass(context_free_ner_dir, max_length, stride):
    text = (
        "Angela Merkel met Emmanuel Macron in Paris on Tuesday; the European Union and the "
        "United Nations sent observers from Geneva, New York and São Paulo to the summit."
    )
    one_pass = NerPipeline(context_free_ner_dir, max_length=64)(text)
    windowed = NerPipeline(context_free_ner_dir, max_length=max_length, stride=stride)(text)
    spans = [(e.start, e.end, e.type) for e in one_pass]
    assert len(spans) > 3
    assert [(e.start, e.end, e.type) for e in windowed] == spans
    assert [e.score for e in windowed] == pytest.approx([e.score for e in one_pass], abs=1e-5)


def test_ner_of_empty_text_is_no_entities(ner_dir):
    assert NerPipeline(ner_dir)(["", "   ", "\n"]) == [[], [], []]


def test_ner_refuses_models_without_a_token_classifier(minilm_dir, classify_dir):
    with pytest.raises(BertkitError, match="needs a classifier head"):
        NerPipeline(minilm_dir)
    with pytest.raises(BertkitError, match="holds a BertForSequenceClassification"):
        NerPipeline(classify_dir)


def test_ner_rejects_a_stride_that_leaves_no_progress(ner_dir):
    with pytest.raises(BertkitError, match="stride must be in 0..29"):
        NerPipeline(ner_dir, max_length=32, stride=30)
