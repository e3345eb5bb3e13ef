"""The bi-encoder learns on real data and what it saves is used as it is.

`bertkit finetune embed` (the command line) trains all-MiniLM-L6-v2 on 320 question -> paragraph
pairs of SQuAD dev's first articles (in-batch negatives, NO_DUPLICATES); the held-out questions of
the last 10 articles, ranked against those articles' paragraphs, then find their paragraph first
more often than before (a property of the run, not a timing). The saved directory is then taken
without changes by `bertkit index build` and search, `bertkit export onnx` (vectors equal the
torch pipeline's) and `bertkit serve` (`/embed` equal to the pipeline).
"""

import json
import subprocess
import sys

import httpx
import numpy as np
import pytest

from bertkit.pipelines import pipeline
from bertkit.tasks.embed.task import EmbedConfig
from bertkit.tasks.finetune import evaluate
from tests.conftest import need_file
from tests.serve.server import Server

TRAIN_ARTICLES = 38


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def squad_run(minilm_dir, data_dir, tmp_path_factory):
    """(trained model dir, held-out pairs file, corpus file, untrained and trained metrics)."""
    squad = need_file(data_dir / "squad-v1.1" / "dev-v1.1.json")
    articles = json.loads(squad.read_text(encoding="utf-8"))["data"]
    train = [
        {"anchor": qa["question"], "positive": p["context"]}
        for a in articles[:TRAIN_ARTICLES]
        for p in a["paragraphs"]
        for qa in p["qas"]
    ][:320]
    held_out = [
        {"anchor": qa["question"], "positive": p["context"]}
        for a in articles[TRAIN_ARTICLES:]
        for p in a["paragraphs"]
        for qa in p["qas"]
    ]
    work = tmp_path_factory.mktemp("squad-embed")
    train_file = write_jsonl(work / "train.jsonl", train)
    eval_file = write_jsonl(work / "held_out.jsonl", held_out)
    corpus = work / "corpus.txt"  # every paragraph of the held-out articles
    corpus.write_text(
        "".join(
            p["context"].replace("\n", " ") + "\n"
            for a in articles[TRAIN_ARTICLES:]
            for p in a["paragraphs"]
        )
    )
    out = work / "encoder"
    command = [sys.executable, "-m", "bertkit.cli.main", "finetune", "embed"]
    command += ["--model", str(minilm_dir), "--train", str(train_file), "--out", str(out)]
    command += ["--loss", "mnrl", "--batch-size", "32", "--lr", "5e-5", "--epochs", "1"]
    command += ["--max-seq-length", "192", "--seed", "1", "--device", "cpu"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    options = dict(eval=str(eval_file), corpus=str(corpus), device="cpu", max_seq_length=192)
    before = evaluate(EmbedConfig(model=str(minilm_dir), **options))
    after = evaluate(EmbedConfig(model=str(out), **options))
    return out, eval_file, corpus, before, after


@pytest.mark.slow
def test_a_short_run_on_squad_finds_more_held_out_paragraphs_first(squad_run):
    _, _, _, before, after = squad_run
    assert before["recall@1"] > 0.3  # the untrained model is already a retriever
    assert after["recall@1"] > before["recall@1"]
    assert after["mrr@10"] > before["mrr@10"]


@pytest.mark.slow
def test_the_trained_encoder_indexes_exports_and_serves_as_it_is(squad_run, tmp_path):
    out, eval_file, corpus, _, _ = squad_run
    bertkit = [sys.executable, "-m", "bertkit.cli.main"]
    index = tmp_path / "index"
    subprocess.run(
        [*bertkit, "index", "build", "--model", str(out), "--corpus", str(corpus),
         "--out", str(index), "--device", "cpu"],
        check=True, capture_output=True,
    )  # fmt: skip
    from bertkit.index import IndexSearcher

    row = json.loads(eval_file.read_text().splitlines()[0])
    hits = IndexSearcher(index, device="cpu")(row["anchor"], k=5)
    assert row["positive"].replace("\n", " ") in [h.text for h in hits]

    onnx_dir = tmp_path / "onnx"
    subprocess.run(
        [*bertkit, "export", "onnx", "--model", str(out), "--out", str(onnx_dir)],
        check=True, capture_output=True,
    )  # fmt: skip
    texts = [json.loads(line)["anchor"] for line in eval_file.read_text().splitlines()[:16]]
    torch_vectors = pipeline("embed", out, device="cpu", dtype="float32")(texts)
    onnx_vectors = pipeline("embed", onnx_dir)(texts)
    assert (torch_vectors * onnx_vectors).sum(-1).min() >= 0.99999

    server = Server(["--model", str(out)], tmp_path / "serve.log")
    try:
        reply = httpx.post(server.url + "/embed", json={"inputs": texts[:4]}, timeout=120)
        assert reply.status_code == 200, reply.text
        served = np.asarray(reply.json(), dtype=np.float32)
    finally:
        server.stop()
    served /= np.linalg.norm(served, axis=-1, keepdims=True)
    assert (served * torch_vectors[:4]).sum(-1).min() >= 0.99999
