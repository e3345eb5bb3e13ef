"""Basic splitting: clean, normalise and cut a text into words, remembering where each came from.

This is google-research/bert `BasicTokenizer` with HF's offsets: every word keeps the span of
original characters it came from, even after lowercasing, accent stripping or dropped controls.
Special-token strings written in the text (e.g. "[MASK]") are matched first, on the raw text, and
never split, as HF's added-token matching does.
"""

import re

from bertkit.tokenizer.chars import normalize_char

# A word is a run of word characters, or one isolated character (punctuation, CJK ideograph).
_WORD = re.compile(r"w+|p")
# Class letter of a character whose normalised form is not exactly one character (or NUL itself).
_IRREGULAR = "\x00"

# One split word: (normalised text, start in the original, alignment or None, special id or None).
# alignment[i] is the original index of normalised character i; None means start + i.
Word = tuple[str, int, "list[int] | None", "int | None"]


class _CharTable(dict):
    """str.translate table filled on first use: code point -> normalised char (or class letter)."""

    def __init__(self, settings: tuple[bool, bool, bool], want_classes: bool):
        super().__init__()
        self.settings = settings
        self.want_classes = want_classes

    def __missing__(self, cp: int) -> str:
        text, classes = normalize_char(chr(cp), *self.settings)
        if len(text) != 1 or cp == 0:
            value = _IRREGULAR
        else:
            value = classes if self.want_classes else text
        self[cp] = value
        return value


class BasicTokenizer:
    """Splits raw text into normalised words with spans into the original string.

    Args:
        do_lower_case: lowercase the text.
        strip_accents: drop accents (NFD, then remove marks); None follows `do_lower_case`.
        tokenize_chinese_chars: make every CJK ideograph a word of its own.
        special_tokens: token -> id for strings kept whole wherever they appear in the text.
    """

    def __init__(
        self,
        do_lower_case: bool = True,
        strip_accents: bool | None = None,
        tokenize_chinese_chars: bool = True,
        special_tokens: dict[str, int] | None = None,
    ):
        self.settings = (
            do_lower_case,
            do_lower_case if strip_accents is None else strip_accents,
            tokenize_chinese_chars,
        )
        self.do_lower_case = do_lower_case
        self._chars = _CharTable(self.settings, want_classes=False)
        self._classes = _CharTable(self.settings, want_classes=True)
        self.special_tokens = dict(special_tokens or {})
        # Longest first, so that a special token that contains another one wins.
        names = sorted(self.special_tokens, key=len, reverse=True)
        self._special = re.compile("|".join(map(re.escape, names))) if names else None

    def split(self, text: str) -> list[Word]:
        """Cut `text` into words: [(normalised word, original start, alignment, special id)]."""
        if self._special is None or self._special.search(text) is None:
            return self._split_plain(text, 0)
        words: list[Word] = []
        start = 0
        for match in self._special.finditer(text):
            words += self._split_plain(text[start : match.start()], start)
            words.append((match.group(), match.start(), None, self.special_tokens[match.group()]))
            start = match.end()
        words += self._split_plain(text[start:], start)
        return words

    def _split_plain(self, text: str, base: int) -> list[Word]:
        classes = text.translate(self._classes)
        if _IRREGULAR in classes:
            return self._split_irregular(text, base)
        # Every character maps to exactly one character, so positions are unchanged.
        if text.isascii():
            norm = text.lower() if self.do_lower_case else text
        else:
            norm = text.translate(self._chars)
        return [
            (norm[s:e], base + s, None, None)
            for s, e in (m.span() for m in _WORD.finditer(classes))
        ]

    def _split_irregular(self, text: str, base: int) -> list[Word]:
        # Some characters vanish (controls, stripped accents) or expand (Hangul syllables under
        # NFD), so build the alignment from normalised characters back to original ones.
        norm_parts, class_parts, alignment = [], [], []
        for i, ch in enumerate(text, base):
            norm, classes = normalize_char(ch, *self.settings)
            norm_parts.append(norm)
            class_parts.append(classes)
            alignment.extend([i] * len(norm))
        norm, classes = "".join(norm_parts), "".join(class_parts)
        words: list[Word] = []
        for m in _WORD.finditer(classes):
            s, e = m.span()
            words.append((norm[s:e], alignment[s], alignment[s:e], None))
        return words
