"""NSP pairs: google's recipe, a 50/50 balance, true continuations, lengths, determinism."""

import numpy as np
import pytest

from bertkit.data.instances import create_instances, create_segments, truncate_pair

CLS, SEP = 101, 102


def all_instances(documents, seed=0, **options):
    rng = np.random.default_rng(seed)
    return [
        (doc_index, inst)
        for doc_index in range(len(documents))
        for inst in create_instances(documents, doc_index, rng, cls_id=CLS, sep_id=SEP, **options)
    ]


def contains(haystack: list[int], needle: list[int], start: int = 0) -> int:
    """Index of the first occurrence of `needle` in `haystack` at or after `start`, else -1."""
    for i in range(start, len(haystack) - len(needle) + 1):
        if haystack[i : i + len(needle)] == needle:
            return i
    return -1


def segments(inst):
    return inst.tokens[1 : inst.num_a - 1], inst.tokens[inst.num_a : -1]


def toy_documents(num_docs=30, seed=0, sentences=(1, 20)):
    """Sentences of distinct ids, so a segment's source is unambiguous."""
    rng = np.random.default_rng(seed)
    next_id, docs = 1000, []
    for _ in range(num_docs):
        doc = []
        for _ in range(int(rng.integers(*sentences))):
            length = int(rng.integers(1, 30))
            doc.append(list(range(next_id, next_id + length)))
            next_id += length
        docs.append(doc)
    return docs


def check_pairs(documents, instances, max_seq_length):
    for doc_index, inst in instances:
        a, b = segments(inst)
        assert inst.tokens[0] == CLS and inst.tokens[inst.num_a - 1] == SEP
        assert inst.tokens[-1] == SEP and a and b
        assert len(inst.tokens) <= max_seq_length
        stream = [t for sentence in documents[doc_index] for t in sentence]
        a_at = contains(stream, a)
        assert a_at >= 0, "segment A is a contiguous span of its own document"
        if not inst.is_random_next:
            assert contains(stream, b, a_at + len(a)) >= 0, "is-next B follows A in its document"


def test_is_next_b_is_the_true_continuation_of_a():
    documents = toy_documents()
    instances = all_instances(documents, max_seq_length=48)
    check_pairs(documents, instances, 48)
    for doc_index, inst in instances:
        if inst.is_random_next:
            b = segments(inst)[1]
            stream = [t for sentence in documents[doc_index] for t in sentence]
            assert contains(stream, b[:1]) == -1, "a random B comes from another document"


def test_random_next_is_half_of_the_pairs():
    # A document's last chunk of one sentence has no continuation and must be a random pair, so
    # corpora of very short documents lean random (55% with 5-19 sentences); articles do not.
    instances = all_instances(toy_documents(100, sentences=(20, 60)), max_seq_length=48)
    share = np.mean([inst.is_random_next for _, inst in instances])
    assert len(instances) > 1500
    assert share == pytest.approx(0.5, abs=0.02)


def test_short_seq_prob_makes_some_sequences_short():
    documents = toy_documents(300)
    never = all_instances(documents, max_seq_length=64, short_seq_prob=0.0)
    often = all_instances(documents, max_seq_length=64, short_seq_prob=0.5)
    mean_length = lambda pairs: np.mean([len(i.tokens) for _, i in pairs])  # noqa: E731
    assert mean_length(often) < mean_length(never) - 5


def test_same_seed_same_pairs_other_seed_other_pairs():
    documents = toy_documents()
    tokens = lambda seed: [i.tokens for _, i in all_instances(documents, seed)]  # noqa: E731
    assert tokens(1) == tokens(1)
    assert tokens(1) != tokens(2)


def test_truncation_trims_the_longer_side_from_both_ends():
    rng = np.random.default_rng(0)
    fronts, backs = 0, 0
    for _ in range(200):
        a, b = list(range(10)), list(range(100, 104))
        truncate_pair(a, b, 12, rng)
        assert len(a) + len(b) == 12 and b == [100, 101, 102, 103]
        fronts += a[0] != 0
        backs += a[-1] != 9
    assert fronts > 50 and backs > 50


def test_wikitext_pairs_balance_and_continuity(wikitext_documents):
    instances = all_instances(wikitext_documents, seed=12345, max_seq_length=128)
    check_pairs(wikitext_documents, instances, 128)
    share = np.mean([inst.is_random_next for _, inst in instances])
    assert share == pytest.approx(0.5, abs=0.02)


def test_segments_pack_whole_sentences_to_the_full_length_in_order():
    rng = np.random.default_rng(0)
    document = [[i] * n for i, n in enumerate([5, 7, 3, 9, 40, 4, 6], start=1)]
    segments_ = create_segments(document, rng, cls_id=CLS, sep_id=SEP, max_seq_length=20)
    flat = [t for s in document for t in s]
    assert [t for inst in segments_ for t in inst.tokens[1:-1]] == flat  # every token, once
    for inst in segments_:
        assert inst.tokens[0] == CLS and inst.tokens[-1] == SEP and len(inst.tokens) <= 20
        assert inst.num_a == len(inst.tokens) and not inst.is_random_next  # no pair
    # whole sentences while they fit: [5, 7, 3] fills 15 of 18, a 9 would overflow
    assert segments_[0].tokens[1:-1] == flat[:15]
    # the 40-token sentence is cut into full-length pieces
    assert max(len(inst.tokens) for inst in segments_) == 20


def test_segments_fill_most_instances_to_the_maximum_length():
    rng = np.random.default_rng(1)
    document = [list(range(100, 100 + n)) for n in rng.integers(3, 15, size=400)]
    segments_ = create_segments(document, rng, cls_id=CLS, sep_id=SEP, max_seq_length=64)
    lengths = np.array([len(inst.tokens) for inst in segments_])
    assert np.mean(lengths >= 64 - 14) > 0.8  # short only when a sentence would not fit (or 10%)
