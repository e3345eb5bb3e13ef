"""SQuAD EM/F1 against a line-by-line transcription of the official v1.1 script, and v2.0 nulls."""

import json
import random
import re
import string
from collections import Counter

import pytest

from bertkit.tasks.qa.metrics import (
    best_null_threshold,
    normalize_answer,
    squad_scores,
    token_f1,
)
from tests.conftest import need_file


# The official evaluate-v1.1.py, transcribed as the oracle (same steps, same order, x100 scale).
def _official_normalize(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def _official_f1(prediction, ground_truth):
    prediction_tokens = _official_normalize(prediction).split()
    ground_truth_tokens = _official_normalize(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def _official_evaluate(golds, predictions):
    f1 = exact = total = 0
    for qid, answers in golds.items():
        total += 1
        if qid not in predictions:
            continue
        p = predictions[qid]
        exact += max(_official_normalize(p) == _official_normalize(g) for g in answers)
        f1 += max(_official_f1(p, g) for g in answers)
    return {"exact_match": 100.0 * exact / total, "f1": 100.0 * f1 / total}


def test_normalisation_drops_case_punctuation_articles_and_extra_spaces():
    assert normalize_answer("  The  Eiffel-Tower, in Paris! ") == "eiffeltower in paris"
    assert normalize_answer("an apple a day") == "apple day"


def test_f1_is_the_best_over_gold_answers_and_empty_answers_follow_each_version():
    scores = squad_scores({"q": "the Denver Broncos"}, {"q": ["Broncos", "Denver Broncos"]})
    assert scores == {"exact_match": 1.0, "f1": 1.0}
    assert token_f1("Denver", "Denver Broncos") == pytest.approx(2 / 3)
    assert token_f1("the", "a") == 0.0  # v1.1: nothing in common
    assert token_f1("the", "a", is_v2=True) == 1.0  # v2.0: both say "no answer"


def _perturbed_predictions(golds, contexts, rng):
    predictions = {}
    for qid, answers in golds.items():
        answer = rng.choice(answers)
        words = answer.split()
        choice = rng.random()
        if choice < 0.3:
            predictions[qid] = answer
        elif choice < 0.5:
            predictions[qid] = " ".join(words[: max(1, len(words) // 2)])
        elif choice < 0.7:
            context_words = contexts[qid].split()
            i = rng.randrange(len(context_words))
            predictions[qid] = " ".join(context_words[i : i + rng.randrange(1, 6)])
        elif choice < 0.8:
            predictions[qid] = "The " + answer.upper() + "."
        elif choice < 0.95:
            predictions[qid] = answer + " " + rng.choice(["and more", "(1)", "of the"])
        # else: no prediction at all
    return predictions


def test_matches_the_official_script_on_hand_made_predictions():
    golds = {"a": ["Norman"], "b": ["10th and 11th centuries", "in the 10th"], "c": ["the"]}
    predictions = {"a": "Normans", "b": "10th century", "c": "The"}
    ours = squad_scores(predictions, golds)
    official = _official_evaluate(golds, predictions)
    assert ours["exact_match"] * 100 == pytest.approx(official["exact_match"], abs=1e-9)
    assert ours["f1"] * 100 == pytest.approx(official["f1"], abs=1e-9)


def test_matches_the_official_script_on_real_squad_dev_answers(data_dir):
    path = need_file(data_dir / "squad-v1.1" / "dev-v1.1.json")
    data = json.loads(path.read_text())["data"]
    golds, contexts = {}, {}
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                golds[qa["id"]] = [a["text"] for a in qa["answers"]]
                contexts[qa["id"]] = paragraph["context"]
    predictions = _perturbed_predictions(golds, contexts, random.Random(0))
    ours = squad_scores(predictions, golds)
    official = _official_evaluate(golds, predictions)
    assert ours["exact_match"] * 100 == pytest.approx(official["exact_match"], abs=1e-9)
    assert ours["f1"] * 100 == pytest.approx(official["f1"], abs=1e-9)
    assert 0.2 < ours["f1"] < 0.9


def test_null_threshold_answers_exactly_the_questions_whose_margin_is_low_enough():
    golds = {"has1": ["cat"], "has2": ["dog"], "none1": [], "none2": []}
    spans = {"has1": "cat", "has2": "dog", "none1": "bird", "none2": "fish"}
    # Answerable questions have low null margins, except has2; unanswerable ones have high ones.
    margins = {"has1": -3.0, "none1": 1.0, "has2": 2.0, "none2": 5.0}
    threshold, scores = best_null_threshold(spans, margins, golds)
    # Answering has1, none1 and has2 (threshold 2.0) gives 3/4; stopping at has1 gives 3/4 too,
    # and the first (lower) threshold wins the tie.
    assert threshold == -3.0
    assert scores == {"exact_match": 0.75, "f1": 0.75}
    margins["none1"] = 6.0
    threshold, scores = best_null_threshold(spans, margins, golds)
    assert threshold == 2.0 and scores["f1"] == 1.0
