"""Corpus files: text, JSON lines and CSV read into passages; a bad file is one line naming it."""

import pytest

from bertkit import BertkitError
from bertkit.cli.main import main
from bertkit.index import read_passages


def test_text_jsonl_and_csv_give_ids_texts_and_metadata(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("first passage\n\n  \nsecond passage\n")
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text(
        '{"id": 7, "text": "seven", "metadata": {"lang": "en"}, "source": "web"}\n'
        "\n"
        '{"text": "no id"}\n'
    )
    table = tmp_path / "table.csv"
    table.write_text('id,text,title\na1,"one, with a comma",T1\n,"two\nlines",T2\n')
    passages = read_passages([text, jsonl, table])
    assert [(p.id, p.text, p.metadata) for p in passages] == [
        ("notes.txt:1", "first passage", {}),
        ("notes.txt:4", "second passage", {}),
        ("7", "seven", {"lang": "en", "source": "web"}),
        ("docs.jsonl:3", "no id", {}),
        ("a1", "one, with a comma", {"title": "T1"}),
        ("table.csv:4", "two\nlines", {"title": "T2"}),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl", '{"text": "ok"}\n{"text": "half"\n', r"a\.jsonl:2: not JSON"),
        ("a.jsonl", '{"id": "x"}\n', r"a\.jsonl:1: field 'text' must be a non-empty string"),
        ("a.jsonl", '["text"]\n', r"a\.jsonl:1: expected an object"),
        ("a.jsonl", '{"text": "t", "metadata": [1]}\n', r"a\.jsonl:1: field 'metadata' must"),
        ("a.jsonl", '{"text": "t", "id": 1.5}\n', r"a\.jsonl:1: field 'id' must be"),
        ("a.jsonl", '{"text": "t", "id": 1}\n{"text": "u", "id": "1"}\n', r":2: id '1' already"),
        ("a.csv", "title,body\nx,y\n", r"a\.csv:1: no 'text' column \(columns: title, body\)"),
        ("a.csv", "id,text\n1,ok\n2,too,many\n", r"a\.csv:3: 3 fields, the header has 2"),
        ("a.csv", "", r"a\.csv: empty CSV file"),
        ("a.txt", "\n\n", r"a\.txt: no passage to index"),
    ],
)
def test_a_bad_corpus_file_is_one_error_naming_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BertkitError, match=message):
        read_passages([path])


def test_undecodable_and_missing_files_are_one_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(BertkitError, match=r"bad\.txt:2: not UTF-8"):
        read_passages([path])
    with pytest.raises(BertkitError, match=r"missing\.jsonl: no such file"):
        read_passages([tmp_path / "missing.jsonl"])


def test_cli_prints_one_error_line_for_bad_input(tiny_embedder, tmp_path, capsys):
    corpus = tmp_path / "a.jsonl"
    corpus.write_text('{"text": "ok"}\n{"text": 3}\n')
    out = tmp_path / "index"
    args = ["index", "build", "--model", str(tiny_embedder), "--corpus", str(corpus)]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {corpus}:2: field 'text' must be a non-empty string"]
    assert main(["search", "--index", str(tmp_path / "nowhere"), "a query"]) == 2
    assert "not an index directory" in capsys.readouterr().err
    assert main([*args, "--out", str(out), "--ef-search", "0"]) == 2
    assert "ef_search must be positive" in capsys.readouterr().err
