"""The sentence splitter: offsets that point back into the text, on hand cases and on the whole
of WikiText-2's validation text."""

import pytest

from bertkit.pipelines.sentences import split_sentences
from tests.conftest import need_file


def texts(document: str) -> list[str]:
    return [s.text for s in split_sentences(document)]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("J. R. R. Tolkien wrote it. It sold.", ["J. R. R. Tolkien wrote it.", "It sold."]),
        ("He moved to the U.S. in May. Then back.", ["He moved to the U.S. in May.", "Then back."]),
        ("It costs 3.5 dollars, e.g. cheap. Yes.", ["It costs 3.5 dollars, e.g. cheap.", "Yes."]),
        ('She said "Go!" Then left.', ['She said "Go!"', "Then left."]),
        ("not a sentence end. lower case goes on", ["not a sentence end. lower case goes on"]),
        ("Title line\n\nBody text here", ["Title line", "Body text here"]),
        (" = Heading = \n The body . It ends .", ["The body .", "It ends ."]),
        ("  \n\n ", []),
        ("1. First point. 2. Second point.", ["1. First point.", "2. Second point."]),
    ],
)
def test_hand_cases(document, expected):
    assert texts(document) == expected


def test_offsets_point_into_the_text_on_wikitext(data_dir):
    document = need_file(data_dir / "wikitext-2-raw" / "wiki.valid.raw").read_text("utf-8")
    sentences = split_sentences(document)
    assert len(sentences) > 5000  # 3760 lines of paragraphs, several sentences each
    previous_end = 0
    for s in sentences:
        assert document[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
        assert s.start >= previous_end  # in order, not overlapping
        assert "\n\n" not in s.text
        previous_end = s.end
    # Headings ("= Title =", "= = Section = =") are not sentences.
    assert not any(s.text.startswith("= ") and s.text.endswith(" =") for s in sentences)
    # Most sentences end as sentences do (the rest end a paragraph without a period).
    ends = sum(s.text[-1] in ".!?\"')" for s in sentences) / len(sentences)
    assert ends > 0.95
