"""Fuzzing the labeled-data readers: TSV/CSV/JSONL classification files, CoNLL, SQuAD JSON.

Any bytes give examples or one BertkitError naming the file; the same holds for `bertkit finetune`
given 4 KB of random bytes (exit status 2 and one `error:` line, never a traceback).
"""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bertkit.cli.main import main
from bertkit.tasks.classify.data import read_examples
from bertkit.tasks.ner.data import read_conll
from bertkit.tasks.qa.data import read_squad
from tests.fuzzing import FUZZ, check, encoded, format_text, json_values, scratch, texts

# Rows that look like the format: a header of known column names, then cells of anything.
cell = st.sampled_from(["sentence", "label", "text", "sentence2", "0", "1", "", " "]) | format_text
table = st.lists(st.lists(cell, min_size=1, max_size=5), min_size=1, max_size=8)


@FUZZ
@given(data=encoded(), suffix=st.sampled_from([".tsv", ".csv", ".jsonl", ".txt"]))
def test_classification_reader_on_any_bytes(data, suffix):
    path = scratch("train" + suffix)
    path.write_bytes(data)
    check("classify:bytes", read_examples, path, names=(str(path),))


@FUZZ
@given(rows=table, suffix=st.sampled_from([".tsv", ".csv"]))
def test_classification_reader_on_table_shaped_text(rows, suffix):
    path = scratch("train" + suffix)
    separator = "\t" if suffix == ".tsv" else ","
    path.write_text("\n".join(separator.join(row) for row in rows), encoding="utf-8")
    result = check("classify:table", read_examples, path, names=(str(path),))
    if result is not None:
        assert result.examples and all(e.text and e.label for e in result.examples)


@FUZZ
@given(records=st.lists(json_values | st.dictionaries(cell, json_values, max_size=4), max_size=6))
def test_classification_reader_on_jsonl_records(records):
    path = scratch("train.jsonl")
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    check("classify:jsonl", read_examples, path, names=(str(path),))


conll_line = st.lists(
    st.sampled_from(["john", "-DOCSTART-", "O", "B-PER", "I-LOC", "I-", "X-Y"]) | format_text,
    max_size=4,
).map(" ".join)


@FUZZ
@given(data=encoded() | st.lists(conll_line, max_size=20).map(lambda ls: "\n".join(ls).encode()))
def test_conll_reader_on_any_bytes(data):
    path = scratch("train.conll")
    path.write_bytes(data)
    result = check("ner", read_conll, path, names=(str(path),))
    if result is not None:
        assert all(len(s.words) == len(s.tags) > 0 for s in result.sentences)


# SQuAD-shaped JSON where any field may hold a value of the wrong type.
answer = st.fixed_dictionaries({}, optional={"text": json_values, "answer_start": json_values})
qa = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "question": texts(max_size=20) | json_values,
        "answers": st.lists(answer | json_values, max_size=3) | json_values,
        "is_impossible": json_values,
    },
)
paragraph = st.fixed_dictionaries(
    {},
    optional={
        "context": texts(max_size=40) | json_values,
        "qas": st.lists(qa | json_values, max_size=3) | json_values,
    },
)
squad = st.fixed_dictionaries(
    {
        "data": st.lists(
            st.fixed_dictionaries({}, optional={"paragraphs": st.lists(paragraph, max_size=3)})
            | json_values,
            max_size=3,
        )
    },
    optional={"version": st.sampled_from(["v2.0", "1.1"]) | json_values},
)


@FUZZ
@given(data=encoded() | squad.map(lambda d: json.dumps(d).encode()))
def test_squad_reader_on_any_bytes_and_mistyped_fields(data):
    path = scratch("train.json")
    path.write_bytes(data)
    for check_answers in (True, False):
        result = check("qa", read_squad, path, check_answers=check_answers, names=(str(path),))
        if result is not None:
            assert all(e.id and e.question and e.context for e in result.examples)


@pytest.mark.parametrize(
    "task,name", [("classify", "train.tsv"), ("ner", "train.conll"), ("qa", "train.json")]
)
def test_finetune_on_random_bytes_is_one_error_line(task, name, tiny_model_dir, tmp_path, capsys):
    bad = tmp_path / name
    bad.write_bytes(random.Random(0).randbytes(4096))
    code = main(["finetune", task, "--model", str(tiny_model_dir), "--train", str(bad),
                 "--eval", str(bad), "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: {bad}:1: not UTF-8 (byte 0x")
