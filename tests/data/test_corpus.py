"""Reading corpora: the four layouts, .gz, sentence splitting, damaged lines skipped and counted."""

import gzip

from bertkit.data.corpus import (
    CorpusStats,
    detect_format,
    documents_from_lines,
    read_documents,
    split_sentences,
)


def test_sentence_splitter_keeps_abbreviations_initials_and_closing_quotes():
    text = 'Dr. Smith met J. R. Tolkien in the U.S. Army! Really? "Yes." It was 1945 . Then 3 left.'
    assert split_sentences(text) == [
        "Dr. Smith met J. R. Tolkien in the U.S. Army!",
        "Really?",
        '"Yes."',
        "It was 1945 .",
        "Then 3 left.",
    ]


def test_bert_layout_is_one_sentence_per_line_and_blank_lines_between_documents():
    lines = ["First one.", "Second one.", "", "", "Other doc.", ""]
    docs = list(documents_from_lines(lines, "bert", CorpusStats()))
    assert docs == [["First one.", "Second one."], ["Other doc."]]


def test_lines_layout_is_one_document_per_line():
    docs = list(documents_from_lines(["Ab cd. Ef gh.", "", "Ij."], "lines", CorpusStats()))
    assert docs == [["Ab cd.", "Ef gh."], ["Ij."]]


def test_paragraphs_layout_joins_wrapped_lines():
    lines = ["A sentence that is", "wrapped. Another one.", "", "Second doc."]
    docs = list(documents_from_lines(lines, "paragraphs", CorpusStats()))
    assert docs == [["A sentence that is wrapped.", "Another one."], ["Second doc."]]


def test_wikitext_titles_split_articles_and_sections_are_dropped():
    lines = [
        "",
        " = Valkyria = ",
        "",
        " It is a well @-@ known game . It sold 1 @,@ 000 copies . ",
        " = = Gameplay = = ",
        " Players fight 2 @.@ 5 battles . ",
        " = Tower = ",
        " A tower . ",
    ]
    assert detect_format(lines) == "wikitext"
    docs = list(documents_from_lines(lines, "wikitext", CorpusStats()))
    assert docs == [
        ["It is a well-known game .", "It sold 1,000 copies .", "Players fight 2.5 battles ."],
        ["A tower ."],
    ]


def test_damaged_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "corpus.txt.gz"
    good = "A fine sentence.\nAnother one.\n\n"
    damaged = b"bad \xff\xfe bytes\n" + b"x" * 1_100_000 + b"\n" + b"\n   \n\n"
    with gzip.open(path, "wb") as f:
        f.write(good.encode() + damaged + b"Last doc.\n")
    stats = CorpusStats()
    docs = list(read_documents(path, "bert", stats))
    assert docs == [["A fine sentence.", "Another one."], ["Last doc."]]
    assert stats.undecodable_lines == 1
    assert stats.too_long_lines == 1
    assert stats.documents == 2


def test_auto_detects_the_layout(tmp_path):
    assert detect_format(["one doc per line.", "another."]) == "lines"
    assert detect_format(["a sentence.", "", "b."]) == "bert"
