"""Masking: 15% of maskable tokens, 80/10/10, specials never touched, whole words, determinism."""

import numpy as np
import pytest

from bertkit.data.instances import create_instances
from bertkit.data.masking import (
    IGNORE_INDEX,
    MaskingConfig,
    MaskingVocab,
    mask_tokens,
    masking_vocab,
)
from tests.data.synthetic import SPECIALS, VOCAB

TOY = MaskingVocab.from_tokens(VOCAB, SPECIALS, "[MASK]")


def toy_sequences(num, length=40, seed=0):
    """[CLS] ... [SEP] ... [SEP] with ordinary and ## tokens."""
    rng = np.random.default_rng(seed)
    ordinary = np.flatnonzero(~TOY.is_special)
    for _ in range(num):
        body = rng.choice(ordinary, length)
        yield np.concatenate([[2], body[: length // 2], [3], body[length // 2 :], [3]])


def masking_stats(sequences, vocab, config, seed=0):
    rng = np.random.default_rng(seed)
    counts = dict(maskable=0, chosen=0, to_mask=0, to_random=0, kept=0, special_touched=0)
    for ids in sequences:
        ids = np.asarray(ids)
        masked, labels = mask_tokens(ids, vocab, config, rng)
        chosen = labels != IGNORE_INDEX
        assert (labels[chosen] == ids[chosen]).all()
        assert (masked[~chosen] == ids[~chosen]).all(), "only chosen positions change"
        counts["maskable"] += int((~vocab.is_special[ids]).sum())
        counts["chosen"] += int(chosen.sum())
        counts["to_mask"] += int((masked[chosen] == vocab.mask_id).sum())
        counts["kept"] += int((masked[chosen] == ids[chosen]).sum())
        replaced = chosen & (masked != ids) & (masked != vocab.mask_id)
        counts["to_random"] += int(replaced.sum())
        counts["special_touched"] += int((chosen & vocab.is_special[ids]).sum())
        assert not vocab.is_special[masked[replaced]].any(), "random tokens are never special"
    return counts


def check_proportions(counts, rate_tolerance=0.005):
    assert counts["special_touched"] == 0
    assert counts["chosen"] / counts["maskable"] == pytest.approx(0.15, abs=rate_tolerance)
    # A random replacement can draw the original token; it then counts as kept.
    assert counts["to_mask"] / counts["chosen"] == pytest.approx(0.8, abs=0.02)
    assert counts["to_random"] / counts["chosen"] == pytest.approx(0.1, abs=0.02)
    assert counts["kept"] / counts["chosen"] == pytest.approx(0.1, abs=0.02)


def test_masks_15_percent_with_80_10_10_and_never_special_tokens():
    counts = masking_stats(toy_sequences(3000), TOY, MaskingConfig())
    check_proportions(counts)


def test_max_predictions_caps_the_number_of_chosen_tokens():
    config = MaskingConfig(max_predictions_per_seq=3)
    rng = np.random.default_rng(0)
    for ids in toy_sequences(50, length=100):
        assert (mask_tokens(ids, TOY, config, rng)[1] != IGNORE_INDEX).sum() == 3


def test_whole_word_masking_masks_every_piece_of_a_chosen_word():
    config = MaskingConfig(whole_word=True)
    rng = np.random.default_rng(0)
    for ids in toy_sequences(500):
        labels = mask_tokens(ids, TOY, config, rng)[1]
        chosen = labels != IGNORE_INDEX
        for i in range(1, len(ids)):
            is_piece = TOY.is_continuation[ids[i]] and not TOY.is_special[ids[i - 1]]
            if is_piece:
                assert chosen[i] == chosen[i - 1], "a word's pieces are masked together"


def test_same_rng_seed_gives_the_same_masks():
    ids = next(toy_sequences(1))
    first = mask_tokens(ids, TOY, MaskingConfig(), np.random.default_rng(7))
    again = mask_tokens(ids, TOY, MaskingConfig(), np.random.default_rng(7))
    other = mask_tokens(ids, TOY, MaskingConfig(), np.random.default_rng(8))
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    assert not (first[1] == other[1]).all()


def test_wikitext_masking_statistics_through_the_real_tokenizer(wikitext_documents, bert_tokenizer):
    rng = np.random.default_rng(0)
    instances = [
        inst
        for doc_index in range(len(wikitext_documents))
        for inst in create_instances(
            wikitext_documents,
            doc_index,
            rng,
            cls_id=bert_tokenizer.cls_token_id,
            sep_id=bert_tokenizer.sep_token_id,
        )
    ]
    assert len(instances) > 2000
    vocab = masking_vocab(bert_tokenizer)
    counts = masking_stats((inst.tokens for inst in instances), vocab, MaskingConfig())
    check_proportions(counts)
    wwm = masking_stats((inst.tokens for inst in instances), vocab, MaskingConfig(whole_word=True))
    check_proportions(wwm, rate_tolerance=0.01)
