"""Golden tokenizations: a hand-written vocab (google `tokenization_test.py` style) and the
reference files in shared/data/golden (by HF BertTokenizerFast and Google tokenization.py)."""

import json

import pytest

from bertkit.tokenizer import WordPieceTokenizer

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
HAND_VOCAB = SPECIALS + [
    "want",
    "##want",
    "##ed",
    "wa",
    "un",
    "runn",
    "##ing",
    ",",
    "low",
    "lowest",
]


@pytest.fixture
def hand_tokenizer(tmp_path):
    (tmp_path / "vocab.txt").write_text("".join(t + "\n" for t in HAND_VOCAB), encoding="utf-8")
    return WordPieceTokenizer.from_pretrained(tmp_path / "vocab.txt")


def test_wordpiece_is_greedy_longest_match_first(hand_tokenizer):
    assert hand_tokenizer.tokenize("unwanted running") == ["un", "##want", "##ed", "runn", "##ing"]


def test_word_with_an_unmatched_position_becomes_one_unk(hand_tokenizer):
    assert hand_tokenizer.tokenize("unwantedX running") == ["[UNK]", "runn", "##ing"]
    assert hand_tokenizer.tokenize("") == []


def test_basic_splitting_lowercases_strips_accents_and_splits_punctuation(hand_tokenizer):
    assert hand_tokenizer.tokenize(" \tHeLLo!how  \n Are yoU?  ") == ["[UNK]"] * 6
    assert hand_tokenizer._basic.split("HäLLo!how")[0][0] == "hallo"
    words = [w for w, *_ in hand_tokenizer._basic.split(" \tHeLLo!how  \n Are yoU?  ")]
    assert words == ["hello", "!", "how", "are", "you", "?"]


def test_cjk_ideographs_are_words_of_their_own(hand_tokenizer):
    words = [w for w, *_ in hand_tokenizer._basic.split("ah\u535a\u63a8zz")]
    assert words == ["ah", "\u535a", "\u63a8", "zz"]


def test_cased_tokenizer_keeps_case_and_accents(tmp_path):
    tok = WordPieceTokenizer(SPECIALS + ["HäLLo"], do_lower_case=False)
    assert tok.tokenize("HäLLo") == ["HäLLo"]
    assert [w for w, *_ in tok._basic.split(" \tHeLLo!how  \n Are yoU?  ")] == [
        "HeLLo", "!", "how", "Are", "yoU", "?",
    ]  # fmt: skip


def test_strip_accents_overrides_lowercasing(tmp_path):
    tok = WordPieceTokenizer(SPECIALS, do_lower_case=True, strip_accents=False)
    assert [w for w, *_ in tok._basic.split("HäLLo")] == ["hällo"]
    tok = WordPieceTokenizer(SPECIALS, do_lower_case=False, strip_accents=True)
    assert [w for w, *_ in tok._basic.split("HäLLo")] == ["HaLLo"]


def test_special_tokens_in_text_are_kept_whole(hand_tokenizer):
    assert hand_tokenizer.tokenize("want[MASK]wa [SEP]") == ["want", "[MASK]", "wa", "[SEP]"]
    # Matching is on the raw text, so a lowercased "[mask]" is ordinary punctuation and a word.
    assert [w for w, *_ in hand_tokenizer._basic.split("[mask]")] == ["[", "mask", "]"]


@pytest.fixture(scope="module", params=["uncased", "cased"])
def golden(request, data_dir):
    name = request.param
    reference = json.loads(
        (data_dir / f"golden/tokenization_bert-base-{name}.json").read_text(encoding="utf-8")
    )
    tok = WordPieceTokenizer.from_pretrained(data_dir / f"vocab/bert-base-{name}")
    return tok, reference


def test_golden_singles_match_ids_types_offsets_and_decode(golden):
    tok, reference = golden
    assert {t: tok.convert_tokens_to_ids(t) for t in SPECIALS} == reference["special_ids"]
    for case in reference["singles"]:
        e = tok.encode(case["text"])
        assert e.tokens == case["tokens"], case["text"]
        assert e.input_ids == case["input_ids"], case["text"]
        assert e.token_type_ids == case["token_type_ids"], case["text"]
        assert [list(o) for o in e.offsets] == case["offsets"], case["text"]
        assert tok.decode(e.input_ids, skip_special_tokens=True) == case["decoded"], case["text"]
        if "[" not in case["text"]:  # the reference's basic tokens ignore special tokens
            basic = [w for w, *_ in tok._basic.split(case["text"])]
            assert basic == case["basic_tokens"], case["text"]


def test_golden_pairs_and_stride_windows(golden):
    tok, reference = golden
    for case in reference["pairs"]:
        e = tok.encode(case["text_a"], case["text_b"])
        assert e.tokens == case["tokens"]
        assert e.input_ids == case["input_ids"]
        assert e.token_type_ids == case["token_type_ids"]
        assert e.attention_mask == case["attention_mask"]
    case = reference["truncation_with_stride"]
    windows = tok.encode(
        case["text_a"],
        case["text_b"],
        truncation=case["truncation"],
        max_length=case["max_length"],
        stride=case["stride"],
        return_overflowing=True,
    )
    assert [w.input_ids for w in windows] == [w["input_ids"] for w in case["windows"]]
    assert [w.token_type_ids for w in windows] == [w["token_type_ids"] for w in case["windows"]]
    assert [w.tokens for w in windows] == [w["tokens"] for w in case["windows"]]


def test_known_google_differences_follow_hf_but_google_length_limit_is_a_setting(golden):
    tok, reference = golden
    assert len(reference["known_differences"]) == 2
    long_word = next(c for c in reference["singles"] if c["text"] == "a" * 120)
    assert tok.encode(long_word["text"]).tokens == ["[CLS]", "[UNK]", "[SEP]"]  # HF: limit 100
    google = WordPieceTokenizer(tok._id_to_token, do_lower_case=tok.do_lower_case,
                                max_input_chars_per_word=200)  # fmt: skip
    assert google.encode(long_word["text"]).tokens == long_word["google_bert_tokens"]


def test_chatgpt_sentence_with_cased_vocab(data_dir):
    tok = WordPieceTokenizer.from_pretrained(data_dir / "vocab/bert-base-cased")
    text = (
        "ChatGPT is a language model developed by OpenAI, based on the GPT (Generative "
        "Pre-trained Transformer) architecture."
    )
    e = tok.encode(text)
    assert e.input_ids == [
        101, 24705, 1204, 17095, 1942, 1110, 170, 1846, 2235, 1872, 1118, 3353, 1592, 2240, 117,
        1359, 1113, 1103, 15175, 1942, 113, 9066, 15306, 11689, 118, 3972, 13809, 23763, 114,
        4220, 119, 102,
    ]  # fmt: skip
    assert e.tokens[:6] == ["[CLS]", "Cha", "##t", "##GP", "##T", "is"]
