"""Splitting a text into sentences, each with its character offsets in the text.

A rule-based splitter, in the spirit of Punkt's heuristics without its trained parameters:

- a sentence ends at `.`, `!` or `?` (a run of them, then any closing quotes or brackets) that is
  followed by whitespace and then an upper-case letter, a digit, or an opening quote or bracket;
- except after a known abbreviation (`Mr.`, `Dr.`, `e.g.`, `U.S.`, ...), a single capital
  letter (the initial in `J. Smith`) or a number that opens the sentence (`2. Second point`);
- a line break followed by a blank line (a paragraph break) always ends a sentence, and so does
  a line that is a WikiText heading (`= Title =`);
- surrounding whitespace is not part of a sentence: `text[s.start:s.end] == s.text` always.
"""

import re
from dataclasses import dataclass

# Abbreviations after which a period does not end a sentence (lower-cased, without the final
# period). Titles and Latin forms; "U.S." style forms are handled by the dotted-initials rule.
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt ft vs etc e.g i.e cf al no vol pp fig approx est jan feb "
    "mar apr jun jul aug sep sept oct nov dec gen col lt sgt capt rev inc ltd co corp".split()
)
# A candidate end: terminal punctuation, closing quotes/brackets, then whitespace.
END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")
PARAGRAPH = re.compile(r"\n[ \t]*\n")
HEADING = re.compile(r"^[ \t]*=+ .* =+[ \t]*$", re.MULTILINE)
STARTS_SENTENCE = re.compile(r"[\"'“‘(\[]*[A-Z0-9À-Þ]")
DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}$")  # U.S., e.g. (the word before the final period)


@dataclass
class Sentence:
    """One sentence: its text and where it lies, `text == document[start:end]`."""

    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text`, in order, with character offsets; headings are left out."""
    sentences: list[Sentence] = []
    for start, end in _blocks(text):
        sentences.extend(_split_block(text, start, end))
    return sentences


def _blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs of `text`: the spans between blank lines and headings."""
    separators = [m.span() for m in PARAGRAPH.finditer(text)]
    separators += [m.span() for m in HEADING.finditer(text)]
    blocks, position = [], 0
    for sep_start, sep_end in sorted(separators):
        if sep_start > position:
            blocks.append((position, sep_start))
        position = max(position, sep_end)
    if position < len(text):
        blocks.append((position, len(text)))
    return blocks


def _split_block(text: str, start: int, end: int) -> list[Sentence]:
    """The sentences of the paragraph text[start:end]."""
    block = text[start:end]
    pieces, begin = [], 0
    for match in END.finditer(block):
        after = block[match.end() :].lstrip()
        if not after or not STARTS_SENTENCE.match(after):
            continue
        if match.group().startswith(".") and _is_abbreviation(block[begin : match.start()]):
            continue
        pieces.append((begin, match.end()))
        begin = match.end()
    pieces.append((begin, len(block)))
    sentences = []
    for a, b in pieces:
        piece = block[a:b]
        stripped = piece.strip()
        if stripped:
            offset = start + a + (len(piece) - len(piece.lstrip()))
            sentences.append(Sentence(stripped, offset, offset + len(stripped)))
    return sentences


def _is_abbreviation(before: str) -> bool:
    """Whether the word that ends `before` (the text up to a period) is an abbreviation or an
    initial, so that the period after it does not end the sentence."""
    words = before.split()
    if not words:
        return False
    word = words[-1].strip("\"'“‘([")
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    if len(words) == 1 and word.isdigit():
        return True  # a list number: "2. Second point"
    return word.lower() in ABBREVIATIONS or bool(DOTTED.match(word + "."))
