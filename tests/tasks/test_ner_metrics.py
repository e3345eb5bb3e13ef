"""Entity-level scores: conlleval chunk rules on hand-made tags, seqeval on real CoNLL tags."""

import random

import pytest

from bertkit.tasks.ner.data import read_conll
from bertkit.tasks.ner.metrics import entity_scores, extract_chunks
from tests.conftest import need_file


def test_chunks_follow_conlleval_for_iob1_and_bio():
    # IOB1: I-X opens a chunk, B-X only splits two adjacent chunks of one type.
    assert extract_chunks(["I-PER", "I-PER", "B-PER", "O", "I-LOC"]) == [
        ("PER", 0, 1),
        ("PER", 2, 2),
        ("LOC", 4, 4),
    ]
    # A type change inside a run starts a new chunk; an I after O starts one too.
    assert extract_chunks(["B-ORG", "I-LOC", "O", "I-ORG", "I-ORG"]) == [
        ("ORG", 0, 0),
        ("LOC", 1, 1),
        ("ORG", 3, 4),
    ]
    assert extract_chunks(["O", "O"]) == []


def test_precision_recall_f1_per_type_and_overall_on_a_hand_made_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "B-MISC"]]
    scores = entity_scores(gold, pred)
    # gold 3 entities, predicted 4, correct 2 (PER, ORG)
    assert scores["precision"] == 0.5
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert scores["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "number": 1}
    assert scores["per_type"]["MISC"]["number"] == 0
    assert scores["accuracy"] == pytest.approx(4 / 6)


def test_entities_across_a_sentence_boundary_are_not_joined():
    scores = entity_scores([["B-PER"], ["I-PER"]], [["B-PER"], ["I-PER"]])
    assert scores["per_type"]["PER"]["number"] == 2


def _perturb(sentences, tags, rng):
    return [
        [t if rng.random() < 0.85 else rng.choice(tags) for t in sentence] for sentence in sentences
    ]


def _check_against_seqeval(gold, pred):
    seqeval = pytest.importorskip("seqeval.metrics")
    ours = entity_scores(gold, pred)
    assert ours["precision"] == pytest.approx(seqeval.precision_score(gold, pred), abs=1e-9)
    assert ours["recall"] == pytest.approx(seqeval.recall_score(gold, pred), abs=1e-9)
    assert ours["f1"] == pytest.approx(seqeval.f1_score(gold, pred), abs=1e-9)
    report = seqeval.classification_report(gold, pred, output_dict=True, zero_division=0)
    for kind, row in ours["per_type"].items():
        if row["number"]:
            assert row["f1"] == pytest.approx(report[kind]["f1-score"], abs=1e-9)
            assert row["precision"] == pytest.approx(report[kind]["precision"], abs=1e-9)
            assert row["number"] == report[kind]["support"]


def test_matches_seqeval_on_random_hand_made_tag_sequences():
    rng = random.Random(0)
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG"]
    gold = [[rng.choice(tags) for _ in range(rng.randrange(1, 12))] for _ in range(300)]
    _check_against_seqeval(gold, _perturb(gold, tags, rng))


def test_matches_seqeval_on_real_conll_testa_with_perturbed_predictions(data_dir):
    path = need_file(data_dir / "conll2003" / "eng.testa")
    gold = [s.tags for s in read_conll(path).sentences]
    tags = sorted({t for s in gold for t in s})
    rng = random.Random(1)
    _check_against_seqeval(gold, _perturb(gold, tags + ["I-PER", "I-ORG"], rng))
    raw = [line.split()[-1] for line in path.read_text().splitlines() if line.strip()]
    assert any(t.startswith("I-") for t in raw)  # the raw file really is IOB1
