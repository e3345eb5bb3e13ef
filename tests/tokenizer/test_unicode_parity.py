"""Every Unicode code point is cleaned, normalised and split exactly as HF `tokenizers` does it.

This is the check behind the Unicode-version tables in `bertkit/tokenizer/chars.py`: planes 0 and 1
(surrogates excluded: Rust strings cannot hold them) go through both pipelines for every
lowercase / strip-accents combination, and the other assigned planes (2, 3, 14) plus the edges of
the private-use planes for the default one. Each character stands between two letters ("x?x"),
so that splitting off punctuation and CJK ideographs shows, and the "words" between spaces.
"""

import pytest

from bertkit.tokenizer import WordPieceTokenizer

tokenizers = pytest.importorskip("tokenizers")
pytestmark = pytest.mark.hf

SETTINGS = [(True, None), (False, None), (True, False), (False, True)]  # (lowercase, strip)
BLOCK = 8192


def _hf_tokenizer(vocab: dict[str, int], lowercase: bool, strip_accents: bool | None):
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    tk = tokenizers.Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tk.normalizer = BertNormalizer(lowercase=lowercase, strip_accents=strip_accents)
    tk.pre_tokenizer = BertPreTokenizer()
    return tk


@pytest.mark.parametrize(("lowercase", "strip_accents"), SETTINGS)
def test_every_code_point_splits_and_maps_like_hf(lowercase, strip_accents):
    # With only special tokens in the vocabulary every word is one [UNK] spanning the whole word,
    # so offsets compare word spans in the original text; the word lists compare normalised text.
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ours = WordPieceTokenizer(specials, do_lower_case=lowercase, strip_accents=strip_accents)
    hf = _hf_tokenizer(ours.vocab, lowercase, strip_accents)
    # Special-token strings are matched by HF only as added tokens, not tested here.
    ours._basic._special = None
    points = [cp for cp in range(0x20000) if not 0xD800 <= cp <= 0xDFFF]
    if (lowercase, strip_accents) == SETTINGS[0]:
        points += [*range(0x20000, 0x40000), *range(0xE0000, 0xE1000)]
        points += [*range(0xF0000, 0xF0100), *range(0x10FF00, 0x110000)]
    for start in range(0, len(points), BLOCK):
        text = " ".join(f"x{chr(cp)}x" for cp in points[start : start + BLOCK])
        expected = hf.encode(text, add_special_tokens=False)
        got = ours.segment(text)
        if got.ids != expected.ids or got.offsets != expected.offsets:
            first = next(
                i
                for i, pair in enumerate(zip(got.offsets, expected.offsets, strict=False))
                if pair[0] != pair[1] or got.ids[i] != expected.ids[i]
            )
            s, e = expected.offsets[first]
            pytest.fail(f"differs from HF at {text[s:e]!r} (U+{ord(text[s]):04X})")
        words = [w for w, _ in hf.pre_tokenizer.pre_tokenize_str(hf.normalizer.normalize_str(text))]
        assert [w for w, *_ in ours._basic.split(text)] == words
