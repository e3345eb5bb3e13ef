"""Decoding on hand-made logits: labels, word labels from sub-tokens, BIO repair, answer spans."""

import torch

from bertkit.tasks.classify.decode import predict_label_ids, predict_scores, top_labels
from bertkit.tasks.ner.decode import decode_entities, to_bio, word_label_ids
from bertkit.tasks.qa.decode import Window, best_answer, choose_answer, window_spans


def test_classification_decoding_gives_argmax_probabilities_and_scores():
    logits = torch.tensor([[0.0, 2.0], [3.0, 1.0]])
    assert predict_label_ids(logits) == [1, 0]
    (label, p), = top_labels(logits[:1], {0: "neg", 1: "pos"})[0]  # fmt: skip
    assert label == "pos" and abs(p - torch.tensor([0.0, 2.0]).softmax(0)[1].item()) < 1e-7
    assert predict_scores(torch.tensor([[0.5], [4.25]])) == [0.5, 4.25]


def test_iob1_and_broken_bio_become_valid_bio():
    assert to_bio(["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG"]) == [
        "B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG",
    ]  # fmt: skip
    assert to_bio(["B-LOC", "I-LOC", "O"]) == ["B-LOC", "I-LOC", "O"]


def test_word_labels_are_read_on_the_first_sub_token_only():
    # [CLS] jo ##hn lives [SEP] -> words: john (tokens 1-2), lives (token 3)
    logits = torch.full((5, 3), -5.0)
    logits[1, 1] = logits[2, 2] = logits[3, 0] = 5.0  # "##hn" says label 2: ignored
    assert word_label_ids(logits, [None, 0, 0, 1, None], num_words=3, default=-1) == [1, 0, -1]


def test_entities_come_out_with_their_words():
    words = ["john", "smith", "visited", "new", "york"]
    entities = decode_entities(words, ["I-PER", "I-PER", "O", "B-LOC", "I-LOC"])
    assert [(e.type, e.start, e.end, e.text) for e in entities] == [
        ("PER", 0, 1, "john smith"),
        ("LOC", 3, 4, "new york"),
    ]


CONTEXT = "Paris is in France."
# tokens: [CLS] where [SEP] paris is in france . [SEP]
OFFSETS = [(0, 0), (0, 0), (0, 0), (0, 5), (6, 8), (9, 11), (12, 18), (18, 19), (0, 0)]
IS_CONTEXT = [False, False, False, True, True, True, True, True, False]


def _window(start: dict[int, float], end: dict[int, float]) -> Window:
    s, e = torch.zeros(9), torch.zeros(9)
    for i, v in start.items():
        s[i] = v
    for i, v in end.items():
        e[i] = v
    return Window(s, e, OFFSETS, IS_CONTEXT)


def test_best_span_maps_back_to_exact_context_characters():
    window = _window({6: 4.0, 3: 1.0}, {6: 3.0, 7: 3.5})
    spans = window_spans(window, CONTEXT)
    assert (spans[0].text, spans[0].score) == ("France.", 7.5)


def test_spans_outside_the_context_reversed_or_too_long_are_never_chosen():
    # Highest start on the question token, and end before start: both invalid.
    window = _window({1: 9.0, 6: 2.0, 3: 1.5}, {4: 8.0, 3: 1.0, 6: 0.5})
    texts = [s.text for s in window_spans(window, CONTEXT, max_answer_length=2)]
    assert texts[0] == "Paris is"  # not the question token, not "is" -> "Paris" (reversed)
    assert all(len(t.split()) <= 2 for t in texts)


def test_the_best_span_over_windows_wins_and_the_null_threshold_can_reject_it():
    weak = _window({3: 1.0}, {3: 1.0})
    strong = _window({6: 3.0, 0: 1.0}, {6: 3.0, 0: 1.0})
    best, null = best_answer([weak, strong], CONTEXT)
    assert best.text == "France" and best.score == 6.0
    assert null == 0.0  # the lowest [CLS] score over the windows (weak's 0 + 0)
    assert choose_answer(best, null, None) == "France"
    assert choose_answer(best, 10.0, 1.0) == ""
