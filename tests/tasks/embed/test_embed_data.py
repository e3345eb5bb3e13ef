"""Embedding training files: the three shapes by column name, and bad rows as one line."""

import json

import pytest

from bertkit.errors import BertkitError
from bertkit.tasks.embed.data import Columns, read_rows_of, read_texts


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_pairs_triplets_and_scored_pairs(tmp_path):
    pairs = read_rows_of(
        _jsonl(tmp_path / "p.jsonl", [{"anchor": "a", "positive": "b"}]), Columns()
    )
    assert (pairs.rows[0].texts, pairs.num_negatives, pairs.is_scored) == (("a", "b"), 0, False)

    tsv = tmp_path / "t.tsv"
    tsv.write_text("anchor\tpositive\tnegative\tnegative_2\nq\tp\tn1\tn2\n")
    triplets = read_rows_of(tsv, Columns())
    assert triplets.rows[0].texts == ("q", "p", "n1", "n2") and triplets.num_negatives == 2

    csv = tmp_path / "s.csv"
    csv.write_text('sentence1,sentence2,score\n"a, quoted",b,2.5\n')
    scored = read_rows_of(csv, Columns())
    assert scored.is_scored and scored.rows[0].texts == ("a, quoted", "b")
    assert scored.rows[0].score == pytest.approx(0.5)

    renamed = _jsonl(tmp_path / "r.jsonl", [{"question": "q", "context": "c"}])
    got = read_rows_of(renamed, Columns(anchor="question", positive="context"))
    assert got.rows[0].texts == ("q", "c")


def test_stsb_glue_tsv_reads_as_it_is(data_dir):
    path = data_dir / "stsb" / "glue" / "dev.tsv"
    rows = read_rows_of(path, Columns())
    assert rows.is_scored and len(rows.rows) == 1500
    assert all(0 <= r.score <= 1 for r in rows.rows if r.score is not None)
    assert rows.rows[0].score == pytest.approx(1.0)  # 5.000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("anchor\tpositive\nq\n", r"x\.tsv:2: missing column 'positive'"),
        ("anchor\tpositive\nq\t  \n", r"x\.tsv:2: empty text in column 'positive'"),
        ("sentence1\tsentence2\tscore\na\tb\t7\n", r"x\.tsv:2: score 7 outside 0\.\.5"),
        ("sentence1\tsentence2\tscore\na\tb\t-1\n", r"x\.tsv:2: score -1 outside"),
        ("sentence1\tsentence2\tscore\na\tb\thigh\n", r"x\.tsv:2: score 'high' is not a number"),
        ("anchor\tpositive\tnegative\nq\tp\tn\nq\tp\t\n", r"x\.tsv:3: triplet with no negative"),
        ("query\ttext\nq\tp\n", r"x\.tsv:1: no positive column"),
        ("anchor\tpositive\n", r"x\.tsv:1: empty file"),
    ],
)
def test_bad_rows_are_one_line_naming_file_and_line(tmp_path, content, message):
    path = tmp_path / "x.tsv"
    path.write_text(content)
    with pytest.raises(BertkitError, match=message) as error:
        read_rows_of(path, Columns())
    assert "\n" not in str(error.value)


def test_corpus_texts(tmp_path):
    (tmp_path / "c.txt").write_text("one\n\ntwo\n")
    assert read_texts(tmp_path / "c.txt") == ["one", "two"]
    corpus = _jsonl(tmp_path / "c.jsonl", [{"text": "x"}, {"text": ""}])
    with pytest.raises(BertkitError, match=r"c\.jsonl:2: empty text"):
        read_texts(corpus)
