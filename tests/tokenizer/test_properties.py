"""Properties on arbitrary Unicode (hypothesis): never crashes, offsets point at the characters a
token came from, decode(encode(x)) is the normalised text, HF agrees, time is linear in length."""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bertkit.tokenizer import WordPieceTokenizer
from bertkit.tokenizer.chars import normalize_char

# Any code point, surrogates and controls included, with a bias towards word-like text.
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.text(st.sampled_from("ab é.,[]MASKß İ\u0301\u4e00한 \t\n\x00😀"), max_size=60),
    st.lists(st.sampled_from(["[MASK]", "[SEP]", "un", "##", "aff", "able", " ", "Ω"])).map(
        "".join
    ),
)
RUST_SAFE_TEXT = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=60
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def uncased(data_dir):
    return WordPieceTokenizer.from_pretrained(data_dir / "vocab/bert-base-uncased")


def _normalised(tokenizer, text: str) -> str:
    return "".join(normalize_char(ch, *tokenizer._basic.settings)[0] for ch in text).replace(
        " ", ""
    )


@SETTINGS
@given(text=TEXT)
def test_offsets_point_at_the_characters_each_token_came_from(uncased, text):
    encoding = uncased.encode(text)
    assert encoding.offsets[0] == encoding.offsets[-1] == (0, 0)
    for token, (start, end), special in zip(
        encoding.tokens, encoding.offsets, encoding.special_tokens_mask, strict=True
    ):
        if special:
            continue
        assert 0 <= start < end <= len(text)
        if token in uncased.all_special_tokens and text[start:end] == token:
            continue  # a special token written in the text
        source = _normalised(uncased, text[start:end])
        assert source, (token, text[start:end])
        if token != uncased.unk_token:
            assert token.removeprefix("##") in source, (token, text[start:end])


@SETTINGS
@given(text=TEXT)
def test_decode_of_encode_is_the_normalised_text(uncased, text):
    words = []
    for word, _, _, special_id in uncased._basic.split(text):
        ids = [special_id] if special_id is not None else uncased._wordpiece(word)[0]
        if not set(ids) & set(uncased.all_special_ids):
            words.append(word)  # skipped: special tokens and words that became [UNK]
    ids = uncased.encode(text).input_ids
    assert uncased.decode(ids, skip_special_tokens=True, cleanup=False) == " ".join(words)


@SETTINGS
@given(text=RUST_SAFE_TEXT, pair=RUST_SAFE_TEXT)
def test_arbitrary_unicode_matches_hf(uncased, data_dir, text, pair):
    tokenizers = pytest.importorskip("tokenizers")
    hf = tokenizers.Tokenizer.from_file(str(data_dir / "golden/tokenizer.bert-base-uncased.json"))
    hf.no_truncation()
    for args in ((text,), (text, pair)):
        expected = hf.encode(*args)
        got = uncased.encode(*args)
        assert got.input_ids == expected.ids
        assert got.offsets == expected.offsets
        assert got.token_type_ids == expected.type_ids


def test_worker_processes_give_the_same_encodings(uncased, corpora):
    texts = corpora["squad/questions"][:1500]
    pairs = corpora["squad/contexts"][:1] * len(texts)
    options = dict(max_length=128, truncation="only_second", stride=32, return_overflowing=True)
    serial = uncased.encode_batch(texts, pairs, **options)
    assert uncased.encode_batch(texts, pairs, num_workers=2, **options) == serial


def test_time_is_linear_in_line_length(uncased):
    unit = "Tokenization of a long line, with words, punctuation; numbers 12,345 and ünïcödé. "
    timings = {}
    for n_bytes in (250_000, 1_000_000):
        line = unit * (n_bytes // len(unit))
        uncased._wordpiece.cache.clear()
        start = time.perf_counter()
        encoding = uncased.encode(line)
        timings[n_bytes] = time.perf_counter() - start
        assert len(encoding) > n_bytes // 8
    # 4x the text must not take much more than 4x the time (quadratic would be 16x).
    assert timings[1_000_000] < 8 * timings[250_000] + 0.05
    one_word = "x" * 1_000_000  # a single huge word is one [UNK], found without a quadratic scan
    start = time.perf_counter()
    assert uncased.tokenize(one_word) == ["[UNK]"]
    assert time.perf_counter() - start < 2.0
