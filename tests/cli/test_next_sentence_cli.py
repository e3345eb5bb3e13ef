"""`bertkit next-sentence` and `bertkit embed --tokens/--words`: JSON lines when piped, the
pipelines' numbers, one-line errors."""

import json

import numpy as np
import pytest

from bertkit import BertForPreTraining
from bertkit.cli.main import main
from bertkit.pipelines import EmbedPipeline, NextSentencePipeline
from bertkit.tokenizer import WordPieceTokenizer
from tests.pipelines.conftest import save_tiny_model


@pytest.fixture(scope="module")
def nsp_dir(tmp_path_factory, minilm_dir):
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    return save_tiny_model(tmp_path_factory.mktemp("nsp"), BertForPreTraining, tokenizer)


def lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines()]


def test_next_sentence_pair_and_file(nsp_dir, tmp_path, capsys):
    a, b = "The storm reached the coast.", "Thousands lost power."
    assert main(["next-sentence", "--model", str(nsp_dir), a, b]) == 0
    (result,) = lines(capsys.readouterr().out)
    expected = NextSentencePipeline(nsp_dir)(a, b)
    assert result == {"score": pytest.approx(expected.score, abs=1e-6), "is_next": expected.is_next}
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{a}\t{b}\n{b}\t{a}\n")
    assert main(["next-sentence", "--model", str(nsp_dir), "--input", str(pairs)]) == 0
    assert len(lines(capsys.readouterr().out)) == 2


def test_next_sentence_rank(nsp_dir, capsys):
    texts = ["The storm reached the coast.", "Power failed.", "Eggs are cheap.", "Roads flooded."]
    assert main(["next-sentence", "--model", str(nsp_dir), "--rank", "-k", "2", *texts]) == 0
    (ranking,) = lines(capsys.readouterr().out)
    expected = NextSentencePipeline(nsp_dir).rank(texts[0], texts[1:], top_k=2)
    assert [r["index"] for r in ranking] == [r.index for r in expected]
    assert set(ranking[0]) == {"index", "text", "score"}


def test_next_sentence_errors_are_one_line(nsp_dir, minilm_dir, tmp_path, capsys):
    assert main(["next-sentence", "--model", str(nsp_dir), "only one"]) == 2
    assert "takes two texts" in capsys.readouterr().err
    no_tab = tmp_path / "bad.txt"
    no_tab.write_text("no tab here\n")
    assert main(["next-sentence", "--model", str(nsp_dir), "--input", str(no_tab)]) == 2
    assert "expected lines of first<TAB>second" in capsys.readouterr().err
    assert main(["next-sentence", "--model", str(minilm_dir), "a", "b"]) == 2
    err = capsys.readouterr().err
    assert "needs a next-sentence head" in err and len(err.strip().splitlines()) == 1


def test_embed_tokens_and_words(minilm_dir, capsys):
    text = "Unbelievably, it works."
    assert main(["embed", "--model", str(minilm_dir), "--tokens", text]) == 0
    (row,) = lines(capsys.readouterr().out)
    (expected,) = EmbedPipeline(minilm_dir)([text], tokens=True)
    assert row["tokens"] == expected.tokens
    assert [tuple(span) for span in row["offsets"]] == expected.offsets
    np.testing.assert_allclose(row["vectors"], expected.vectors, atol=1e-6)
    args = ["embed", "--model", str(minilm_dir), "--words", "--layers", "-1,-2", text]
    assert main([*args, "--combine", "concat"]) == 0
    (row,) = lines(capsys.readouterr().out)
    assert row["tokens"] == ["Unbelievably", ",", "it", "works", "."]
    assert np.asarray(row["vectors"]).shape == (5, 2 * 384)
    assert main(["embed", "--model", str(minilm_dir), "--tokens", "--layers", "-1,-9", text]) == 2
    assert "layer must be in -7..6, got -9" in capsys.readouterr().err
