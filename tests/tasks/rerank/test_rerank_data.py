"""Reading reranking rows: both shapes, columns by name, and one line per bad row."""

import json

import pytest

from bertkit.errors import BertkitError
from bertkit.tasks.rerank.data import Columns, collate, encode_groups, merge_queries, read_groups
from bertkit.tokenizer import WordPieceTokenizer
from tests.tasks.conftest import VOCAB
from tests.tasks.rerank.conftest import write_groups_jsonl, write_pairs_tsv


def test_groups_put_the_positive_first_and_every_negative_column_after_it(tmp_path):
    rows = read_groups(write_groups_jsonl(tmp_path / "g.jsonl", rows=5, negatives=3))
    assert rows.is_listwise and len(rows.groups) == 5
    group = rows.groups[0]
    assert group.labels == [1.0, 0.0, 0.0, 0.0]
    assert group.candidates[0].split()[-1] in group.query


def test_labeled_pairs_merge_into_one_candidate_list_per_query(tmp_path):
    rows = read_groups(write_pairs_tsv(tmp_path / "p.tsv", queries=4))
    assert not rows.is_listwise and len(rows.groups) == 12
    merged = merge_queries(rows.groups)
    assert len(merged) <= 4 and sum(len(g.candidates) for g in merged) == 12
    assert all(sum(g.labels) >= 1 for g in merged)


def test_csv_with_named_columns(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('q,doc,rel\n"what, then ?","a doc, quoted",1\n')
    rows = read_groups(path, Columns(query="q", passage="doc", label="rel"))
    assert rows.groups[0].query == "what, then ?"
    assert rows.groups[0].candidates == ["a doc, quoted"] and rows.groups[0].labels == [1.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "query\tpassage\tlabel\nq\tp\t1\nq\tp\t2\n",
            "p.tsv:3: label '2' in column 'label' is not 0 or 1",
        ),
        ("query\tpassage\tlabel\nq\tp\tyes\n", "p.tsv:2: label 'yes'"),
        ("query\tpassage\tlabel\nq\t \t1\n", "p.tsv:2: empty text in column 'passage'"),
        ("query\tpassage\tlabel\nq\tp\n", "p.tsv:2: missing column 'label'"),
        ("query\ttext_x\tlabel\nq\tp\t1\n", "p.tsv:1: no passage column"),
        ("query\tpositive\tnegative_1\nq\tp\t\n", "p.tsv:2: no negative ('negative_1' is empty)"),
        ("query\tpositive\nq\tp\n", "p.tsv:1: a 'positive' column but no negative column"),
    ],
)
def test_a_bad_row_is_one_line_naming_file_and_line(tmp_path, text, message):
    path = tmp_path / "p.tsv"
    path.write_text(text)
    with pytest.raises(BertkitError) as error:
        read_groups(path)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_jsonl_group_missing_a_negative_names_its_line(tmp_path):
    path = tmp_path / "g.jsonl"
    rows = [
        {"anchor": "a", "positive": "b", "negative_1": "c", "negative_2": "d"},
        {"anchor": "a", "positive": "b", "negative_1": "c"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(BertkitError, match=r"g.jsonl:2: missing column 'negative_2'"):
        read_groups(path)


def test_collate_lays_out_groups_row_by_row_with_the_positive_first(tmp_path):
    tokenizer = WordPieceTokenizer(VOCAB)
    rows = read_groups(write_groups_jsonl(tmp_path / "g.jsonl", rows=3, negatives=2))
    features = encode_groups(tokenizer, rows.groups, max_length=16)
    batch = collate(features, tokenizer.pad_token_id)
    assert batch["input_ids"].shape[0] == 9 and batch["labels"].shape == (3, 3)
    assert batch["labels"][:, 0].tolist() == [1.0, 1.0, 1.0]
    second = tokenizer.encode(rows.groups[1].query, rows.groups[1].candidates[0]).input_ids
    assert batch["input_ids"][3, : len(second)].tolist() == second
    assert batch["token_type_ids"][3].max().item() == 1  # the passage is segment B


def test_collate_of_labeled_pairs_has_one_label_per_pair(tmp_path):
    tokenizer = WordPieceTokenizer(VOCAB)
    rows = read_groups(write_pairs_tsv(tmp_path / "p.tsv", queries=2))
    batch = collate(encode_groups(tokenizer, rows.groups, 16), tokenizer.pad_token_id)
    assert batch["labels"].shape == (6,) and batch["input_ids"].shape[0] == 6
