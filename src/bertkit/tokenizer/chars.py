"""Character classes and per-character normalisation, exactly as the Hugging Face BERT pipeline.

References: google-research/bert `tokenization.py` (`_is_control`, `_is_punctuation`,
`_is_chinese_char`, `_run_strip_accents`) and HF `tokenizers` `normalizers/bert.rs` +
`pre_tokenizers/bert.rs`, which we follow where the two differ. `tokenizers` classifies characters
with Unicode 8.0 category tables but lowercases with Unicode 16.0, while Python 3.11's `unicodedata`
is Unicode 14.0; the code points where that matters are listed below (measured on every code point
against tokenizers 0.23.3; `tests/tokenizer/test_unicode_parity.py` re-checks all of them).
"""

import unicodedata
from bisect import bisect_right
from functools import cache

Ranges = tuple[tuple[int, int], ...]


class _RangeSet:
    """Code points given as disjoint inclusive (first, last) ranges; `in` is a bisection."""

    def __init__(self, ranges: Ranges):
        ordered = sorted(ranges)
        self.firsts = [lo for lo, _ in ordered]
        self.lasts = [hi for _, hi in ordered]

    def __contains__(self, cp: int) -> bool:
        i = bisect_right(self.firsts, cp) - 1
        return i >= 0 and cp <= self.lasts[i]


# Unicode 14.0 says "format" (Cf) but HF's Unicode 8.0 table does not, so HF keeps them.
_NEWER_FORMAT = _RangeSet(
    ((0x0890, 0x0891), (0x08E2, 0x08E2), (0x110CD, 0x110CD), (0x13430, 0x13438))
)
# Punctuation added after Unicode 8.0: HF does not split on these.
_NEWER_PUNCT = _RangeSet((
    (0x061D, 0x061D), (0x09FD, 0x09FD), (0x0A76, 0x0A76), (0x0C77, 0x0C77), (0x0C84, 0x0C84),
    (0x1B7D, 0x1B7E), (0x2E43, 0x2E4F), (0x2E52, 0x2E5D), (0x10EAD, 0x10EAD), (0x10F55, 0x10F59),
    (0x10F86, 0x10F89), (0x1144B, 0x1144F), (0x1145A, 0x1145B), (0x1145D, 0x1145D),
    (0x11660, 0x1166C), (0x116B9, 0x116B9), (0x1183B, 0x1183B), (0x11944, 0x11946),
    (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C), (0x11A9E, 0x11AA2),
    (0x11C41, 0x11C45), (0x11C70, 0x11C71), (0x11EF7, 0x11EF8), (0x11FFF, 0x11FFF),
    (0x12FF1, 0x12FF2), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2), (0x1E95E, 0x1E95F),
))  # fmt: skip
# Punctuation in Unicode 8.0 that later became a symbol or a mark: HF still splits on them.
_OLDER_PUNCT = frozenset({0x166D, 0x111C9})
# Non-spacing marks (Mn) added after Unicode 8.0: HF's strip_accents keeps them.
_NEWER_MARKS = _RangeSet((
    (0x07FD, 0x07FD), (0x0898, 0x089F), (0x08CA, 0x08E1), (0x09FE, 0x09FE), (0x0AFA, 0x0AFF),
    (0x0B55, 0x0B55), (0x0C04, 0x0C04), (0x0C3C, 0x0C3C), (0x0D00, 0x0D00), (0x0D3B, 0x0D3C),
    (0x0D81, 0x0D81), (0x0EBA, 0x0EBA), (0x180F, 0x180F), (0x1885, 0x1886), (0x1ABF, 0x1ACE),
    (0x1DF6, 0x1DFB), (0xA82C, 0xA82C), (0xA8C5, 0xA8C5), (0xA8FF, 0xA8FF), (0xA9BD, 0xA9BD),
    (0x10D24, 0x10D27), (0x10EAB, 0x10EAC), (0x10F46, 0x10F50), (0x10F82, 0x10F85),
    (0x11070, 0x11070), (0x11073, 0x11074), (0x110C2, 0x110C2), (0x111C9, 0x111C9),
    (0x111CF, 0x111CF), (0x1123E, 0x1123E), (0x1133B, 0x1133B), (0x11438, 0x1143F),
    (0x11442, 0x11444), (0x11446, 0x11446), (0x1145E, 0x1145E), (0x1182F, 0x11837),
    (0x11839, 0x1183A), (0x1193B, 0x1193C), (0x1193E, 0x1193E), (0x11943, 0x11943),
    (0x119D4, 0x119D7), (0x119DA, 0x119DB), (0x119E0, 0x119E0), (0x11A01, 0x11A0A),
    (0x11A33, 0x11A38), (0x11A3B, 0x11A3E), (0x11A47, 0x11A47), (0x11A51, 0x11A56),
    (0x11A59, 0x11A5B), (0x11A8A, 0x11A96), (0x11A98, 0x11A99), (0x11C30, 0x11C36),
    (0x11C38, 0x11C3D), (0x11C3F, 0x11C3F), (0x11C92, 0x11CA7), (0x11CAA, 0x11CB0),
    (0x11CB2, 0x11CB3), (0x11CB5, 0x11CB6), (0x11D31, 0x11D36), (0x11D3A, 0x11D3A),
    (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47), (0x11D90, 0x11D91),
    (0x11D95, 0x11D95), (0x11D97, 0x11D97), (0x11EF3, 0x11EF4), (0x16F4F, 0x16F4F),
    (0x16FE4, 0x16FE4), (0x1CF00, 0x1CF2D), (0x1CF30, 0x1CF46), (0x1E000, 0x1E006),
    (0x1E008, 0x1E018), (0x1E01B, 0x1E021), (0x1E023, 0x1E024), (0x1E026, 0x1E02A),
    (0x1E130, 0x1E136), (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF), (0x1E944, 0x1E94A),
))  # fmt: skip
# A spacing mark (Mc) that Unicode 8.0 called non-spacing: HF strips it.
_OLDER_MARKS = frozenset({0x1734})
# Characters HF's (older) NFD leaves whole.
_NO_DECOMPOSITION = frozenset({0x11938})
# Lowercasings from Unicode 16.0 of letters Python 3.11 does not know yet: (first, last, delta).
_NEWER_LOWERCASE = {
    cp: chr(cp + delta)
    for first, last, delta in (
        (0x1C89, 0x1C89, 1), (0xA7CB, 0xA7CB, -42343), (0xA7CC, 0xA7CC, 1), (0xA7CE, 0xA7CE, 1),
        (0xA7D2, 0xA7D2, 1), (0xA7D4, 0xA7D4, 1), (0xA7DA, 0xA7DA, 1), (0xA7DC, 0xA7DC, -42561),
        (0x10D50, 0x10D65, 0x20), (0x16EA0, 0x16EB8, 0x1B),
    )
    for cp in range(first, last + 1)
}  # fmt: skip

# Rust's `char::is_whitespace` (the White_Space property) minus the C0/C1 controls, which HF
# drops before it maps whitespace to " ": so "\x0b" and "\x85" join words instead of splitting them.
WHITESPACE = frozenset("\t\n\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(cp) for cp in range(0x2000, 0x200B)
)

# The "CJK Unified Ideographs" blocks of google's `_is_chinese_char`, except that HF starts the
# Extension E block at U+2B920 where Google starts it at U+2B820; we follow HF. Hangul and kana are
# not here: they are written with spaces, so BERT treats them like any other letters.
_CJK = _RangeSet((
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
))  # fmt: skip


def is_removed(ch: str) -> bool:
    """Whether basic cleaning drops `ch`: NUL, U+FFFD and control/format/private/surrogate chars."""
    if ch in "\t\n\r":
        return False
    cp = ord(ch)
    if cp == 0 or cp == 0xFFFD:
        return True
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and cp not in _NEWER_FORMAT


def is_punctuation(ch: str) -> bool:
    """Split-off punctuation: every ASCII non-alphanumeric symbol plus Unicode P* (Unicode 8.0)."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    if cp in _OLDER_PUNCT:
        return True
    return unicodedata.category(ch).startswith("P") and cp not in _NEWER_PUNCT


def is_cjk(ch: str) -> bool:
    """Whether `ch` is a CJK ideograph, which BERT makes a word of its own."""
    return ord(ch) in _CJK


def _is_stripped_mark(ch: str) -> bool:
    cp = ord(ch)
    if cp in _OLDER_MARKS:
        return True
    return unicodedata.category(ch) == "Mn" and cp not in _NEWER_MARKS


def strip_accents(ch: str) -> str:
    """NFD-decompose `ch` and drop its non-spacing marks ("é" -> "e", "\u0301" -> "")."""
    if ord(ch) in _NO_DECOMPOSITION:
        return ch
    decomposed = unicodedata.normalize("NFD", ch)
    if decomposed == ch and not _is_stripped_mark(ch):
        return ch
    return "".join(c for c in decomposed if not _is_stripped_mark(c))


def lowercase(ch: str) -> str:
    """Lowercase one character the way Rust's `char::to_lowercase` does (no final-sigma rule)."""
    return _NEWER_LOWERCASE.get(ord(ch)) or ch.lower()


@cache
def normalize_char(ch: str, do_lower_case: bool, do_strip_accents: bool, split_cjk: bool):
    """Normalise one original character into (text, classes), two strings of equal length.

    classes holds one letter per output character: "w" word character, "p" a word of its own
    (punctuation, or a CJK ideograph when `split_cjk`), " " a word boundary. A removed character
    gives ("", ""). HF's order is clean -> CJK spacing -> strip accents -> lowercase.
    """
    if is_removed(ch):
        return "", ""
    if ch in WHITESPACE:
        return " ", " "
    text = strip_accents(ch) if do_strip_accents else ch
    if do_lower_case:
        text = "".join(map(lowercase, text))
    if split_cjk and is_cjk(ch):
        return text, "p" * len(text)
    return text, "".join("p" if is_punctuation(c) else "w" for c in text)
