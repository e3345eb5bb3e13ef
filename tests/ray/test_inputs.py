"""The job's input files: passages and ids from .jsonl, .txt and .parquet bytes, one-line errors
naming file and line, and the glob expansion (no Ray needed)."""

import io

import pytest

from bertkit.errors import BertkitError
from bertkit.ray.inputs import expand_inputs, read_passages


def test_jsonl_ids_and_text_lines_numbered_from_one():
    data = b'{"id": 7, "text": "seven"}\n\n{"text": "no id"}\n'
    assert read_passages("d/a.jsonl", data) == (["7", "a.jsonl:3"], ["seven", "no id"])
    text = "\ufeffone\r\n\n  \nfour\n".encode()
    assert read_passages("d/b.txt", text) == (["b.txt:1", "b.txt:4"], ["one", "four"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"text": "ok"}\n{"id": "x", "body": "?"}\n', "f.jsonl:2: field 'text' must be"),
        (b'{"text": "ok"}\n{"text": 3}\n', "f.jsonl:2: field 'text' must be"),
        (b'{"text": "ok"}\nnot json\n', "f.jsonl:2: not JSON"),
        (b'{"text": "ok", "id": [1]}\n', "f.jsonl:1: field 'id' must be"),
        (b'{"text": "ok"}\n{"text": "caf\xe9"}\n', "f.jsonl:2: not UTF-8 text (byte 0xe9"),
    ],
)
def test_a_bad_jsonl_line_is_one_error_naming_file_and_line(data, message):
    with pytest.raises(BertkitError) as error:
        read_passages("f.jsonl", data)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_parquet_rows_and_their_errors():
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    def parquet(**columns) -> bytes:
        buffer = io.BytesIO()
        pq.write_table(pa.table(columns), buffer)
        return buffer.getvalue()

    assert read_passages("p.parquet", parquet(text=["a", "b"], id=["x", None])) == (
        ["x", "p.parquet:2"],
        ["a", "b"],
    )
    with pytest.raises(BertkitError, match=r"p.parquet: row 2: field 'text'"):
        read_passages("p.parquet", parquet(text=["a", None]))
    with pytest.raises(BertkitError, match=r"p.parquet: no 'text' column \(columns: body\)"):
        read_passages("p.parquet", parquet(body=["a"]))
    with pytest.raises(BertkitError, match="p.parquet: not a readable Parquet file"):
        read_passages("p.parquet", b"not parquet")


def test_patterns_expand_sorted_once_each(tmp_path):
    for name in ("b.txt", "a.txt", "c.jsonl"):
        (tmp_path / name).write_text("x\n")
    files = expand_inputs([str(tmp_path / "*.txt"), str(tmp_path / "*")])
    assert [f.path.rsplit("/", 1)[1] for f in files] == ["a.txt", "b.txt", "c.jsonl"]
    with pytest.raises(BertkitError, match="no input file matches"):
        expand_inputs([str(tmp_path / "*.parquet")])
