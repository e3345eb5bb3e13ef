"""The pipeline commands: the output forms scripts rely on, files in and out, one-line errors."""

import json
import re

import numpy as np
import pytest

from bertkit import BertForMaskedLM, BertForQuestionAnswering, BertForTokenClassification
from bertkit.cli.main import main
from bertkit.pipelines import EmbedPipeline
from bertkit.tokenizer import WordPieceTokenizer
from tests.pipelines.conftest import CONLL_LABELS, save_tiny_model


@pytest.fixture(scope="module")
def tokenizer(minilm_dir):
    return WordPieceTokenizer.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def mlm(tmp_path_factory, tokenizer):
    return save_tiny_model(tmp_path_factory.mktemp("mlm"), BertForMaskedLM, tokenizer)


def lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines()]


def test_fill_mask_prints_one_json_line_per_mask(mlm, capsys):
    assert main(["fill-mask", "--model", str(mlm), "--top-k", "3", "a [MASK] b [MASK] c"]) == 0
    masks = lines(capsys.readouterr().out)
    assert len(masks) == 2
    for predictions in masks:
        assert len(predictions) == 3
        assert set(predictions[0]) == {"token", "token_id", "score"}


def test_fill_mask_file_gives_one_line_per_input(mlm, tmp_path, capsys):
    inputs = tmp_path / "in.txt"
    inputs.write_text("one [MASK]\n[MASK] and [MASK]\n")
    out = tmp_path / "out.jsonl"
    assert (
        main(["fill-mask", "--model", str(mlm), "--input", str(inputs), "--output", str(out)]) == 0
    )
    assert [len(masks) for masks in lines(out.read_text())] == [1, 2]


def test_embed_writes_one_row_per_line_in_order(minilm_dir, tmp_path, capsys):
    texts = ["a long sentence about the weather in Paris today", "", "short", "x " * 300]
    inputs = tmp_path / "in.txt"
    inputs.write_text("\n".join(texts) + "\n")
    out = tmp_path / "vectors.npy"
    args = ["embed", "--model", str(minilm_dir), "--input", str(inputs), "--output", str(out)]
    assert main(args) == 0
    vectors = np.load(out)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, EmbedPipeline(minilm_dir)(texts), atol=1e-5)
    assert f"4 x 384 to {out}" in capsys.readouterr().err
    assert main([*args, "--pooling", "cls", "--no-normalize", "--layer", "2"]) == 0
    cls = EmbedPipeline(minilm_dir, pooling="cls", normalize=False, layer=2)(texts)
    np.testing.assert_allclose(np.load(out), cls, atol=1e-5)


def test_similarity_prints_the_score(minilm_dir, tmp_path, capsys):
    assert main(["similarity", "--model", str(minilm_dir), "A cat sleeps.", "A cat naps."]) == 0
    score = json.loads(capsys.readouterr().out)
    assert 0.5 < score <= 1
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("A cat sleeps.\tA cat naps.\nA cat sleeps.\tStocks fell.\n")
    assert main(["similarity", "--model", str(minilm_dir), "--input", str(pairs)]) == 0
    first, second = lines(capsys.readouterr().out)
    assert first == pytest.approx(score, abs=1e-5) and second < first


def test_search_prints_the_hits_of_each_query(minilm_dir, tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Serialize an object to JSON.\nCopy a file.\nWait for a thread to end.\n")
    args = ["search", "--model", str(minilm_dir), "--corpus", str(corpus), "-k", "2"]
    assert main([*args, "object to json text", "join a thread"]) == 0
    first, second = lines(capsys.readouterr().out)
    assert [len(first), len(second)] == [2, 2]
    assert first[0]["line"] == 1 and second[0]["line"] == 3
    assert set(first[0]) == {"text", "score", "index", "line"}
    assert (tmp_path / "corpus.txt.embeddings.npz").exists()


def test_ner_and_qa_print_exact_spans(tmp_path, tokenizer, capsys):
    labels = dict(enumerate(CONLL_LABELS))
    ner = save_tiny_model(tmp_path / "ner", BertForTokenClassification, tokenizer, id2label=labels)
    text = "Angela Merkel visited Paris and met Emmanuel Macron."
    assert main(["ner", "--model", str(ner), text]) == 0
    for entity in lines(capsys.readouterr().out)[0]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
    qa = save_tiny_model(tmp_path / "qa", BertForQuestionAnswering, tokenizer)
    inputs = tmp_path / "qa.jsonl"
    rows = [{"question": "Who visited Paris?", "context": text}] * 2
    inputs.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["qa", "--model", str(qa), "--input", str(inputs)]) == 0
    for answer in lines(capsys.readouterr().out):
        assert text[answer["start"] : answer["end"]] == answer["text"]
    assert main(["qa", "--model", str(qa), "--context", text, "Who?", "Where?"]) == 0
    assert len(lines(capsys.readouterr().out)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fill-mask", "--model", "{minilm}", "a [MASK]"], "needs a masked-lm head"),
        (["fill-mask", "--model", "{mlm}", "no mask"], r"has no \[MASK\] token"),
        (["fill-mask", "--model", "{mlm}", "--input", "{empty}"], "empty input file"),
        (["embed", "--model", "{minilm}"], "nothing to do"),
        (["similarity", "--model", "{minilm}", "a"], "takes two texts"),
        (["classify", "--model", "{minilm}", "a"], "needs a classifier head"),
        (["qa", "--model", "{mlm}", "--context", "c", "q"], "needs a question-answering head"),
        (["ner", "--model", "{missing}", "a"], "no such model directory"),
        (["qa", "--model", "{mlm}", "--input", "{empty}", "q"], "not both"),
    ],
)
def test_bad_input_is_one_error_line(args, message, minilm_dir, mlm, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    paths = {"minilm": minilm_dir, "mlm": mlm, "empty": empty, "missing": tmp_path / "nope"}
    assert main([arg.format(**paths) for arg in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message, err)
