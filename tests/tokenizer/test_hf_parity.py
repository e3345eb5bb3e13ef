"""Side by side with the Hugging Face tokenizer on real text: ids, token types, offsets, word ids.

Every line of every text corpus and labeled set in shared/data, with the cased and the uncased
vocabulary; sentence pairs and SQuAD (question, context) pairs with every truncation strategy and
stride windows; batches with padding and tensors; multilingual and odd strings.
"""

import itertools

import pytest

pytestmark = pytest.mark.hf

TRICKY = [
    "한국어 텍스트는 음절 단위로 분해됩니다. 서울특별시!",
    "我爱北京天安门，你好世界。",
    "日本語のテキスト、カタカナとひらがな。東京タワー",
    "Ça, c'est très élégant: Ångström, Øresund, Dvořák, naïve café, Ærøskøbing",
    "ĲSSELMEER İstanbul ΣΊΣΥΦΟΣ ǅemal ﬁnance ßtraße",
    "emoji 😀👍🏽 👨‍👩‍👧 flags 🇫🇷 keycap 1️⃣ ❤️",
    "control\x00chars\x07here\x1b[0m and\u200bzero\u200dwidth\ufeff\ufffd end",
    "odd\u00a0spaces\u2003em\u3000ideographic\u2028line\u2029para\x0bvt\x0cff\x85nel",
    "tabs\tand\r\nwindows\rreturns",
    "x" * 99 + " " + "y" * 100 + " " + "z" * 101 + " " + "supercalifragilistic" * 6,
    "[MASK] [mask] x[MASK]y [SEP][CLS] [UNK][PAD] [ MASK ] [MASK",
    "a\u0301e\u0300i\u0302 combining marks, Zalgo: Z\u0351\u0352\u0353a\u0354l\u0355g\u0356o",
    "مرحبا بالعالم — עברית — हिन्दी — ไทย",
    "",
    "   \t\n ",
]


def _assert_same(ours_encoding, hf_batch, i, where):
    assert ours_encoding.input_ids == hf_batch["input_ids"][i], where
    assert ours_encoding.token_type_ids == hf_batch["token_type_ids"][i], where
    assert ours_encoding.offsets == [tuple(o) for o in hf_batch["offset_mapping"][i]], where
    assert ours_encoding.word_ids == hf_batch.word_ids(i), where
    assert ours_encoding.sequence_ids == hf_batch.sequence_ids(i), where


def test_every_corpus_line_matches_hf(ours, hf, corpora, vocab_name):
    for name, texts in corpora.items():
        hf_batch = hf.backend_tokenizer.encode_batch(texts)
        for i, encoding in enumerate(ours.encode_batch(texts)):
            expected = hf_batch[i]
            where = f"{vocab_name} {name} line {i + 1}: {texts[i][:80]!r}"
            assert encoding.input_ids == expected.ids, where
            assert encoding.token_type_ids == expected.type_ids, where
            assert encoding.offsets == expected.offsets, where
            assert encoding.word_ids == expected.word_ids, where


def test_tricky_strings_match_hf(ours, hf):
    batch = hf(TRICKY, return_offsets_mapping=True)
    for i, encoding in enumerate(ours.encode_batch(TRICKY)):
        _assert_same(encoding, batch, i, TRICKY[i])


def test_sentence_pairs_match_hf_with_every_truncation_strategy(ours, hf, corpus_pairs):
    pairs = [p for name, ps in corpus_pairs.items() if name != "squad" for p in ps[::7]]
    firsts, seconds = [a for a, _ in pairs], [b for _, b in pairs]
    settings = [
        dict(),
        dict(max_length=24, truncation="longest_first"),
        dict(max_length=24, truncation="longest_first", stride=3, return_overflowing=True),
        dict(max_length=64, truncation="only_first", stride=4, return_overflowing=True),
    ]
    for options in settings:
        hf_options = {
            "truncation": options.get("truncation", False),
            "max_length": options.get("max_length"),
            "stride": options.get("stride", 0),
            "return_overflowing_tokens": options.get("return_overflowing", False),
        }
        usable = range(len(pairs))
        if options.get("truncation") == "only_first":
            # Both refuse when cutting the first text cannot make room (HF: an error).
            usable = [i for i in usable if len(ours.segment(seconds[i])) < 50]
        a, b = [firsts[i] for i in usable], [seconds[i] for i in usable]
        batch = hf(a, b, return_offsets_mapping=True, **hf_options)
        encodings = ours.encode_batch(a, b, **options)
        assert len(encodings) == len(batch["input_ids"]), options
        mapping = batch.get("overflow_to_sample_mapping", range(len(encodings)))
        for i, (encoding, sample) in enumerate(zip(encodings, mapping, strict=True)):
            assert encoding.overflow_to_sample == sample
            _assert_same(encoding, batch, i, (options, a[sample][:60]))


def test_impossible_truncation_is_a_clear_error(ours):
    from bertkit.errors import BertkitError

    with pytest.raises(BertkitError, match="only_first"):
        ours.encode(
            "short", "a much longer second text " * 10, max_length=16, truncation="only_first"
        )
    with pytest.raises(BertkitError, match="pairs"):
        ours.encode("one two three four", max_length=4, truncation="only_second")
    with pytest.raises(BertkitError, match="stride"):
        ours.encode("a b c d e f g h", max_length=6, stride=4)


def test_squad_windows_match_hf(ours, hf, corpus_pairs):
    squad = corpus_pairs["squad"][::5]
    questions, contexts = [q for q, _ in squad], [c for _, c in squad]
    options = dict(max_length=384, truncation="only_second", stride=128)
    batch = hf(
        questions, contexts, return_overflowing_tokens=True, return_offsets_mapping=True, **options
    )
    encodings = ours.encode_batch(questions, contexts, return_overflowing=True, **options)
    assert len(encodings) == len(batch["input_ids"]) > len(squad)
    for i, encoding in enumerate(encodings):
        assert encoding.overflow_to_sample == batch["overflow_to_sample_mapping"][i]
        _assert_same(encoding, batch, i, questions[encoding.overflow_to_sample])


def test_padded_batches_and_tensors_match_hf(ours, hf, corpora):
    texts = corpora["sst2/dev.tsv"][:64]
    for padding, max_length in [("longest", None), ("max_length", 48)]:
        kwargs = dict(padding=padding, max_length=max_length, truncation=max_length is not None)
        expected = hf(texts, return_tensors="pt", return_special_tokens_mask=True, **kwargs)
        got = ours(texts, padding=padding, max_length=max_length, return_tensors="pt")
        for key in ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"):
            assert got[key].dtype == expected[key].dtype
            assert got[key].tolist() == expected[key].tolist(), (padding, key)


def test_decode_and_id_conversion_match_hf(ours, hf, corpora):
    texts = list(itertools.islice(corpora["squad/contexts"], 40)) + TRICKY
    for text in texts:
        ids = hf(text)["input_ids"]
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == hf.decode(
                ids, skip_special_tokens=skip
            )
        assert ours.convert_ids_to_tokens(ids) == hf.convert_ids_to_tokens(ids)
        tokens = hf.convert_ids_to_tokens(ids)
        assert ours.convert_tokens_to_ids(tokens) == hf.convert_tokens_to_ids(tokens)
        assert ours.tokenize(text) == hf.tokenize(text)
    assert ours.all_special_ids == hf.all_special_ids
    assert len(ours) == len(hf) and ours.vocab_size == hf.vocab_size
