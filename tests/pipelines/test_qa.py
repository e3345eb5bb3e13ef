"""qa: every answer is an exact slice of its context, for SQuAD dev questions read in windows;
one context serves many questions; empty or over-long questions are clear errors."""

import json
import os

import pytest
import torch

from bertkit import BertkitError
from bertkit.pipelines import QaPipeline
from tests.conftest import need_file

# BERTKIT_FULL_CHECKS=1 checks every question of SQuAD dev instead of a sample.
FULL = os.environ.get("BERTKIT_FULL_CHECKS") == "1"


def squad_dev(data_dir) -> list[tuple[str, str]]:
    data = json.loads(need_file(data_dir / "squad-v1.1/dev-v1.1.json").read_text("utf-8"))
    return [
        (qa["question"], paragraph["context"])
        for article in data["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def test_qa_answers_are_exact_slices_of_squad_contexts(qa_dir, data_dir):
    examples = squad_dev(data_dir)
    assert len(examples) == 10570
    if not FULL:
        examples = examples[::40]
    qa = QaPipeline(qa_dir, max_length=64, stride=16, batch_size=64)  # many windows per context
    answers = qa([q for q, _ in examples], [c for _, c in examples])
    for (_, context), answer in zip(examples, answers, strict=True):
        assert answer.text and context[answer.start : answer.end] == answer.text
        assert 0 < answer.score <= 1


def test_qa_answer_is_exact_on_a_context_of_many_windows(qa_dir, data_dir):
    contexts = [c for _, c in squad_dev(data_dir)]
    context = " ".join(dict.fromkeys(contexts[:400]))  # ~20k words
    qa = QaPipeline(qa_dir, max_length=64, stride=16, max_answer_length=5)
    answer = qa("Which team won the Super Bowl?", context)
    assert context[answer.start : answer.end] == answer.text
    assert len(qa.tokenizer.tokenize(answer.text)) <= 5


def test_one_context_serves_many_questions(qa_dir):
    context = "The bank is located on the east side of the river, next to the old mill."
    qa = QaPipeline(qa_dir)
    many = qa(["Where is the bank?", "What is next to the bank?"], context)
    assert len(many) == 2
    assert qa("Where is the bank?", context) == many[0]
    for answer in many:
        assert context[answer.start : answer.end] == answer.text


class FavourClsHead(torch.nn.Module):
    """A QA head that scores [CLS] (position 0) above every span: "no answer"."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(*x.shape[:2], 2)  # (B, T, 2)
        logits[:, 0] = 5.0
        return logits


def test_no_answer_is_the_empty_span_when_allowed(qa_dir):
    context = "Some context here."
    qa = QaPipeline(qa_dir, allow_no_answer=True)
    qa.model.qa = FavourClsHead()
    answer = qa("Anything?", context)
    assert (answer.text, answer.start, answer.end) == ("", 0, 0)
    assert 0.5 < answer.score <= 1
    qa.allow_no_answer = False  # SQuAD v1.1: always a span
    answer = qa("Anything?", context)
    assert answer.text and context[answer.start : answer.end] == answer.text


@pytest.mark.parametrize(("question", "context"), [("", "A context."), ("A question?", " ")])
def test_empty_question_or_context_is_an_error(qa_dir, question, context):
    with pytest.raises(BertkitError, match="empty"):
        QaPipeline(qa_dir)(question, context)


def test_a_question_too_long_for_the_window_is_an_error(qa_dir):
    with pytest.raises(BertkitError, match="too long to leave room for its context"):
        QaPipeline(qa_dir, max_length=32, stride=8)("why " * 30 + "?", "short context " * 20)


def test_qa_refuses_a_model_without_a_qa_head(ner_dir):
    with pytest.raises(BertkitError, match="needs a question-answering head"):
        QaPipeline(ner_dir)
