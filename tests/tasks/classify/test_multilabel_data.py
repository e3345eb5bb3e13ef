"""Multi-label rows in the three layouts (JSON lists, separated labels, 0/1 columns) and the
bad rows that stop a run with one line naming the file and line."""

import json

import pytest

from bertkit import BertkitError
from bertkit.tasks.classify.data import Columns
from bertkit.tasks.classify.label_sets import check_labels, read_label_sets

ROWS = [("Mary visited Paris.", ["PER", "LOC"]), ("the film was good", []), ("Acme Corp", ["ORG"])]


def write_jsonl(path, rows=ROWS):
    path.write_text("".join(json.dumps({"text": t, "labels": labels}) + "\n" for t, labels in rows))
    return path


def test_three_layouts_give_the_same_label_sets(tmp_path):
    jsonl = write_jsonl(tmp_path / "a.jsonl")
    tsv = tmp_path / "b.tsv"
    tsv.write_text("text\tlabels\n" + "".join(f"{t}\t{';'.join(ls) or '[]'}\n" for t, ls in ROWS))
    csv = tmp_path / "c.csv"
    names = ["PER", "ORG", "LOC"]
    csv.write_text(
        "id,comment_text,PER,ORG,LOC\n"
        + "".join(
            f'{i},"{t}",' + ",".join(str(int(n in ls)) for n in names) + "\n"
            for i, (t, ls) in enumerate(ROWS)
        )
    )
    a, _ = read_label_sets(jsonl, Columns(), [])
    b, _ = read_label_sets(tsv, Columns(), [])
    c, columns = read_label_sets(csv, Columns(text="comment_text"), names)
    assert [e.labels for e in a] == [ls for _, ls in ROWS]
    assert [e.labels for e in b] == [ls for _, ls in ROWS]
    assert [sorted(e.labels) for e in c] == [sorted(ls) for _, ls in ROWS]
    assert [e.text for e in c] == [t for t, _ in ROWS] and columns.text == "comment_text"


def test_a_row_with_no_label_names_file_and_line(tmp_path):
    path = tmp_path / "holes.jsonl"
    path.write_text('{"text": "a", "labels": ["X"]}\n{"text": "b"}\n')
    with pytest.raises(BertkitError, match=rf"^{path}:2: no label in column 'labels'"):
        read_label_sets(path, Columns(), [])
    tsv = tmp_path / "holes.tsv"
    tsv.write_text("text\tlabels\na\tX;Y\nb\t\n")
    with pytest.raises(BertkitError, match=rf"^{tsv}:3: no label"):
        read_label_sets(tsv, Columns(), [])


def test_a_label_column_that_is_not_binary_names_file_and_line(tmp_path):
    path = tmp_path / "jigsaw.csv"
    path.write_text("id,comment_text,toxic,insult\n1,fine,0,0\n2,awful,1,0.7\n")
    with pytest.raises(
        BertkitError, match=rf"^{path}:3: label column 'insult' is '0.7', not 0 or 1"
    ):
        read_label_sets(path, Columns(text="comment_text"), ["toxic", "insult"])
    with pytest.raises(BertkitError, match=rf"^{path}:1: no label column 'threat'"):
        read_label_sets(path, Columns(text="comment_text"), ["toxic", "threat"])


def test_an_eval_label_outside_training_names_its_line(tmp_path):
    examples, _ = read_label_sets(write_jsonl(tmp_path / "e.jsonl"), Columns(), [])
    with pytest.raises(BertkitError, match=r"e.jsonl:3: label 'ORG' was not in training"):
        check_labels(tmp_path / "e.jsonl", examples, ["LOC", "PER"])
