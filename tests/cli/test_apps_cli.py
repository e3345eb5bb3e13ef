"""The summarize, score and dedup commands: JSON lines that scripts read, and bad input as one
error line naming the file."""

import json

import pytest

from bertkit.cli.main import main
from tests.conftest import need_file


def lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def mrpc_rows(data_dir) -> list[list[str]]:
    rows = need_file(data_dir / "mrpc" / "dev.tsv").read_text("utf-8-sig").splitlines()[1:13]
    return [row.split("\t") for row in rows]


def test_summarize_prints_the_chosen_sentences_with_offsets(minilm_dir, tmp_path, capsys):
    text = (
        "The river rises in the hills. It flows north to the sea.\n\n"
        "Its valley is farmed. Wheat and barley grow there. The river floods in spring."
    )
    document = tmp_path / "doc.txt"
    document.write_text(text, encoding="utf-8")
    assert main(["summarize", "--model", str(minilm_dir), str(document), "--sentences", "2"]) == 0
    chosen = lines(capsys.readouterr().out)
    assert len(chosen) == 2
    assert [c["index"] for c in chosen] == sorted(c["index"] for c in chosen)
    for c in chosen:
        assert text[c["start"] : c["end"]] == c["text"]


def test_score_prints_one_line_per_pair_and_the_corpus(minilm_dir, mrpc_rows, tmp_path, capsys):
    candidates, references = tmp_path / "c.txt", tmp_path / "r.txt"
    candidates.write_text("\n".join(r[3] for r in mrpc_rows) + "\n", encoding="utf-8")
    references.write_text("\n".join(r[4] for r in mrpc_rows) + "\n", encoding="utf-8")
    args = ["score", "--model", str(minilm_dir), "--candidates", str(candidates)]
    assert main([*args, "--references", str(references), "--idf"]) == 0
    out = capsys.readouterr()
    scores = lines(out.out)
    assert len(scores) == len(mrpc_rows)
    assert all(0 < s["precision"] <= 1 and 0 < s["recall"] <= 1 for s in scores)
    assert out.err.startswith("corpus  P ")


def test_dedup_prints_pairs_and_clusters(minilm_dir, mrpc_rows, tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(r[i] for r in mrpc_rows for i in (3, 4)) + "\n", encoding="utf-8")
    base = ["dedup", "--model", str(minilm_dir), "--input", str(corpus)]
    assert main([*base, "--threshold", "0.85"]) == 0
    pairs = lines(capsys.readouterr().out)
    assert pairs and all(p["score"] >= 0.85 and p["first"] < p["second"] for p in pairs)
    text = corpus.read_text().splitlines()
    assert all(text[p["first"] - 1] == p["first_text"] for p in pairs)
    assert main([*base, "--threshold", "0.85", "--clusters"]) == 0
    clusters = lines(capsys.readouterr().out)
    assert {n for c in clusters for n in c["lines"]} == {
        n for p in pairs for n in (p["first"], p["second"])
    }
    assert main([*base, "-k", "1"]) == 0
    assert len(lines(capsys.readouterr().out)) <= len(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summarize", "--model", "{minilm}", "{one}"], "one.txt: the text has one sentence"),
        (["summarize", "--model", "{minilm}", "{two}", "--ratio", "2"], "between 0 and 1"),
        (
            ["score", "--model", "{minilm}", "--candidates", "{two}", "--references", "{one}"],
            "two.txt has 2 lines but",
        ),
        (["dedup", "--model", "{minilm}", "--input", "{one}"], "need two to compare"),
        (
            ["dedup", "--model", "{minilm}", "--input", "{two}", "-k", "2", "--clusters"],
            "--clusters",
        ),
    ],
)
def test_bad_input_is_one_error_line(args, message, minilm_dir, tmp_path, capsys):
    (tmp_path / "one.txt").write_text("Only one sentence here.\n", encoding="utf-8")
    (tmp_path / "two.txt").write_text("First line.\nSecond line.\n", encoding="utf-8")
    paths = {"minilm": minilm_dir, "one": tmp_path / "one.txt", "two": tmp_path / "two.txt"}
    assert main([a.format(**paths) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
