"""classify: label names and probabilities from the model's logits, pairs, top-k, regression."""

import pytest
import torch

from bertkit import BertForSequenceClassification, BertkitError
from bertkit.pipelines import ClassifyPipeline, pipeline
from tests.pipelines.conftest import save_tiny_model


def model_inputs(batch) -> dict:
    return {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}


def test_classify_gives_the_softmax_of_the_logits(classify_dir, uncased_tokenizer):
    texts = ["a gripping, beautifully shot film", "dull", "it was fine I guess"]
    labels = ClassifyPipeline(classify_dir, batch_size=2)(texts)
    model = BertForSequenceClassification.from_pretrained(classify_dir)
    with torch.no_grad():
        inputs = model_inputs(uncased_tokenizer(texts, return_tensors="pt"))
        probs = model(**inputs).logits.softmax(-1)
    names = ["negative", "neutral", "positive"]
    for label, row in zip(labels, probs, strict=True):
        assert label.label == names[int(row.argmax())]
        assert label.score == pytest.approx(float(row.max()), abs=1e-5)


def test_classify_pairs_and_top_k(classify_dir):
    classify = pipeline("text-classification", classify_dir)
    one = classify("A man plays a guitar.", "Someone makes music.", top_k=3)
    assert [label.label for label in one] != [] and len(one) == 3
    assert sum(label.score for label in one) == pytest.approx(1.0, abs=1e-5)
    assert [label.score for label in one] == sorted((lab.score for lab in one), reverse=True)
    many = classify(["A man plays a guitar.", "x"], ["Someone makes music.", "y"])
    assert many[0].label == one[0].label
    with pytest.raises(BertkitError, match="got 2 texts but 1 pairs"):
        classify(["a", "b"], ["c"])


def test_classify_regression_gives_the_predicted_value(tmp_path, uncased_tokenizer):
    model_dir = save_tiny_model(
        tmp_path, BertForSequenceClassification, uncased_tokenizer, num_labels=1
    )
    model = BertForSequenceClassification.from_pretrained(model_dir)
    text, pair = "A plane is taking off.", "An air plane is taking off."
    with torch.no_grad():
        inputs = model_inputs(uncased_tokenizer(text, pair, return_tensors="pt"))
        expected = model(**inputs).logits.item()
    assert ClassifyPipeline(model_dir)(text, pair).score == pytest.approx(expected, abs=1e-5)


def test_a_text_longer_than_the_model_is_cut_and_reported(classify_dir, caplog):
    classify = ClassifyPipeline(classify_dir)
    long = "word " * 200
    first, alone = classify([long, long + "more words"])[0], classify(long)
    # the same 64 tokens either way; a batch of 2 may take another kernel (last-bit differences)
    assert first.label == alone.label and first.score == pytest.approx(alone.score, abs=1e-6)
    assert "2 of 2 inputs were cut to 64 tokens" in caplog.text


def test_classify_refuses_directories_without_a_sequence_classifier(minilm_dir, ner_dir):
    with pytest.raises(BertkitError, match="needs a classifier head"):
        ClassifyPipeline(minilm_dir)
    with pytest.raises(BertkitError, match="holds a BertForTokenClassification"):
        ClassifyPipeline(ner_dir)


def test_unknown_task_names_the_known_ones(classify_dir):
    with pytest.raises(BertkitError, match="choose one of fill-mask, classify, ner"):
        pipeline("translate", classify_dir)
