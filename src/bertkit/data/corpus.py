"""Reading a text corpus into documents, each a list of sentences (google's input layout).

Formats: `bert` (one sentence per line, a blank line between documents, as google's
create_pretraining_data.py expects), `lines` (one document per line), `paragraphs` (documents
separated by blank lines, wrapped lines joined) and `wikitext` (` = Title = ` starts an article,
` = = Section = = ` headings are dropped, one paragraph per line). `auto` picks one from the start
of the file. `.gz` files are read transparently. Damaged lines (undecodable bytes, longer than
`max_line_bytes`) are skipped and counted, never fatal; a damaged `.gz` stream is one error.
"""

import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from bertkit.errors import BertkitError

FORMATS = ("auto", "bert", "lines", "paragraphs", "wikitext")
MAX_LINE_BYTES = 500_000  # a real paragraph is a few kB; a longer line is a damaged file

WIKITEXT_TITLE = re.compile(r"^ = [^=].* = $")
WIKITEXT_HEADING = re.compile(r"^ (= )+.*( =)+ $")
# WikiText escapes separators inside numbers and compounds: "1 @,@ 000", "well @-@ known".
WIKITEXT_ESCAPES = ((" @-@ ", "-"), (" @,@ ", ","), (" @.@ ", "."))


@dataclass
class CorpusStats:
    """What reading a corpus met; adding two stats sums every count."""

    lines: int = 0
    undecodable_lines: int = 0
    too_long_lines: int = 0
    documents: int = 0
    empty_documents: int = 0
    sentences: int = 0

    def __add__(self, other: "CorpusStats") -> "CorpusStats":
        return CorpusStats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


# A boundary: . ! or ? (and closing quotes or brackets), then a word that starts like a sentence.
_BOUNDARY = re.compile(r"([.!?][\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc no fig gen col lt sgt capt rev gov sen rep inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec mt ft approx ca cf al op vol".split()
)


def split_sentences(text: str) -> list[str]:
    """Rule-based sentence splitter for plain text.

    A boundary is `.`, `!` or `?` (plus closing quotes/brackets), whitespace, then an uppercase
    letter, a digit or an opening quote/bracket. A period right after a known abbreviation
    ("Dr."), a single letter ("J. Smith") or a dotted word ("U.S.") is not a boundary.
    """
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(text):
        if text[match.start()] == "." and _is_abbreviation(text[start : match.start()]):
            continue
        sentences.append(text[start : match.end(1)].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _is_abbreviation(before: str) -> bool:
    words = before.rsplit(None, 1)
    word = words[-1] if words and not before[-1:].isspace() else ""
    word = word.lstrip("\"'([")
    return word.lower() in _ABBREVIATIONS or len(word) == 1 and word.isalpha() or "." in word


def read_lines(
    path: Path, stats: CorpusStats, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[str]:
    """The file's lines without line ends; undecodable and overlong lines are counted and skipped.

    Reads in bounded pieces, so a gigabyte without a newline costs `max_line_bytes` of memory.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        yield from _read_lines(opener(path, "rb"), stats, max_line_bytes)
    except (OSError, EOFError, zlib.error) as error:  # a damaged .gz file: stop, naming it
        raise BertkitError(f"{path}: cannot read ({type(error).__name__}: {error})") from None


def _read_lines(f, stats: CorpusStats, max_line_bytes: int) -> Iterator[str]:
    with f:
        while line := f.readline(max_line_bytes + 1):
            stats.lines += 1
            if len(line) > max_line_bytes and not line.endswith(b"\n"):
                stats.too_long_lines += 1
                while (rest := f.readline(max_line_bytes)) and not rest.endswith(b"\n"):
                    pass
                continue
            try:
                yield line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                stats.undecodable_lines += 1


def detect_format(lines: Iterable[str]) -> str:
    """wikitext if a ` = Title = ` line appears early, bert if blank lines do, else lines."""
    has_blank = False
    for i, line in enumerate(lines):
        if WIKITEXT_TITLE.match(line):
            return "wikitext"
        has_blank = has_blank or not line.strip()
        if i >= 1000:
            break
    return "bert" if has_blank else "lines"


def documents_from_lines(lines: Iterable[str], fmt: str, stats: CorpusStats) -> Iterator[list[str]]:
    """Group lines into documents (lists of sentences) the way format `fmt` lays them out."""
    if fmt not in FORMATS or fmt == "auto":
        raise ValueError(f"format must be one of {FORMATS[1:]}, got {fmt!r}")
    document: list[str] = []
    for line in lines:
        text = line.strip()
        if fmt == "lines":
            if text:
                yield from _finish([text], fmt, stats)
        elif fmt == "wikitext" and WIKITEXT_HEADING.match(line):
            if WIKITEXT_TITLE.match(line):
                yield from _finish(document, fmt, stats)
                document = []
        elif not text:
            if fmt in ("bert", "paragraphs"):
                yield from _finish(document, fmt, stats)
                document = []
        else:
            document.append(text)
    yield from _finish(document, fmt, stats)


def _finish(lines: list[str], fmt: str, stats: CorpusStats) -> Iterator[list[str]]:
    if fmt == "bert":
        sentences = lines
    elif fmt == "paragraphs":
        sentences = split_sentences(" ".join(lines))
    else:  # lines, wikitext: every line is a paragraph
        if fmt == "wikitext":
            lines = [_unescape_wikitext(line) for line in lines]
        sentences = [s for line in lines for s in split_sentences(line)]
    if not sentences:
        if lines:
            stats.empty_documents += 1
        return
    stats.documents += 1
    stats.sentences += len(sentences)
    yield sentences


def _unescape_wikitext(text: str) -> str:
    for escaped, plain in WIKITEXT_ESCAPES:
        text = text.replace(escaped, plain)
    return text


def read_documents(
    path: str | Path, fmt: str = "auto", stats: CorpusStats | None = None, **kwargs
) -> Iterator[list[str]]:
    """Stream the documents of one file (plain or .gz); kwargs go to `read_lines`."""
    path, stats = Path(path), stats if stats is not None else CorpusStats()
    if fmt == "auto":
        fmt = detect_format(read_lines(path, CorpusStats(), **kwargs))
    yield from documents_from_lines(read_lines(path, stats, **kwargs), fmt, stats)
