"""`bertkit embed --engine ray` end to end on a real local Ray: equal to the single-process
pipeline, resumable after the driver is killed, and one line for a bad input file."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bertkit.cli.main import main
from bertkit.errors import BertkitError
from bertkit.pipelines.embed import EmbedPipeline, cosine
from bertkit.pipelines.embedding_shards import (
    is_verified,
    read_manifest,
    read_shard,
    shard_name,
    text_hash,
)
from bertkit.ray import RayEmbedConfig, embed_corpus
from tests.ray.conftest import write_corpus

BERTKIT = Path(sys.executable).parent / "bertkit"


def read_output(out: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Every (id, vector, text hash) of an embeddings directory, shards in manifest order."""
    manifest = read_manifest(out)
    ids, vectors, hashes = [], [], []
    for shard in manifest.shards:
        assert is_verified(out, shard)
        shard_ids, shard_vectors, shard_hashes = read_shard(out / shard.file, 32)
        ids += shard_ids
        vectors.append(shard_vectors)
        hashes += shard_hashes
    return ids, np.concatenate(vectors), hashes


def expected_rows(folder: Path) -> tuple[list[str], list[str]]:
    """(ids, texts) of the corpus written by `write_corpus`, read here with plain Python."""
    import pyarrow.parquet as pq

    ids, texts = [], []
    for name in ("squad-0.jsonl", "squad-1.jsonl"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            ids.append(row["id"])
            texts.append(row["text"])
    parquet = pq.read_table(folder / "squad-2.parquet").column("text").to_pylist()
    ids += [f"squad-2.parquet:{n}" for n in range(1, len(parquet) + 1)]
    texts += parquet
    lines = (folder / "wiki.txt").read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines, 1):
        if line.strip():
            ids.append(f"wiki.txt:{number}")
            texts.append(line)
    return ids, texts


def test_ray_output_equals_the_single_process_pipeline(
    ray_address, tiny_model, paragraphs, wiki_lines, tmp_path
):
    corpus = write_corpus(tmp_path / "corpus", paragraphs, wiki_lines, rows=25)
    out = tmp_path / "vectors"
    config = RayEmbedConfig(actors=2, cpus_per_actor=1, batch_size=8)
    report = embed_corpus(tiny_model, [str(corpus / "*")], out, config)
    assert (report.embedded, report.kept) == (4, 0)

    ids, vectors, hashes = read_output(out)
    want_ids, texts = expected_rows(corpus)  # files sorted by name: jsonl, parquet, txt
    assert ids == want_ids
    assert hashes == [text_hash(t) for t in texts]
    plain = EmbedPipeline(tiny_model, batch_size=32)(texts)  # what `bertkit embed` computes
    assert vectors.shape == plain.shape
    assert cosine(vectors, plain).min() >= 0.99999
    manifest = read_manifest(out)
    assert manifest.complete and manifest.rows == len(texts) == 100
    assert [s.rows for s in manifest.shards] == [25, 25, 25, 25]
    assert manifest.dtype == "float32" and manifest.model["pooling"] == "mean"

    # A rerun keeps every shard; an input changed since is embedded again, alone.
    assert embed_corpus(tiny_model, [str(corpus / "*")], out, config).kept == 4
    before = {s.input: s.digest for s in manifest.shards}
    changed = corpus / "squad-1.jsonl"
    changed.write_text(changed.read_text().replace("squad-1-0", "renamed"), encoding="utf-8")
    report = embed_corpus(tiny_model, [str(corpus / "*")], out, config)
    assert (report.embedded, report.kept) == (1, 3)
    after = {s.input: s.digest for s in report.manifest.shards}
    assert [k for k in after if after[k] != before[k]] == [str(changed.resolve())]
    assert "renamed" in read_output(out)[0]


@pytest.mark.slow
def test_a_killed_run_resumes_without_recomputing_finished_shards(
    ray_address, tiny_model, paragraphs, tmp_path
):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    texts = [p.replace("\n", " ") for p in paragraphs[: 10 * 60]]
    for number in range(10):  # 10 files of 60 passages: one actor is killed midway
        lines = texts[number * 60 : (number + 1) * 60]
        (corpus / f"part-{number:02d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "vectors"
    argv = ["embed", "--model", str(tiny_model), "--input", str(corpus / "*.txt")]
    argv += ["--output", str(out), "--engine", "ray", "--address", ray_address]
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    driver = subprocess.Popen([str(BERTKIT), *argv], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and driver.poll() is None:
        try:
            done = len(read_manifest(out).shards)
        except BertkitError:  # not written yet, or being replaced
            done = 0
        if done >= 2:
            break
        time.sleep(0.01)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    finished = {s.file: (out / s.file).stat().st_mtime_ns for s in read_manifest(out).shards}
    assert 2 <= len(finished) < 10, "the driver was to be killed mid-job"

    report = embed_corpus(tiny_model, [str(corpus / "*.txt")], out, RayEmbedConfig(actors=2))
    assert report.kept == len(finished) and report.embedded == 10 - len(finished)
    for name, mtime in finished.items():  # not recomputed: the very same files
        assert (out / name).stat().st_mtime_ns == mtime
    ids, vectors, _ = read_output(out)
    assert ids == [f"part-{n // 60:02d}.txt:{n % 60 + 1}" for n in range(10 * 60)]
    assert cosine(vectors, EmbedPipeline(tiny_model)(texts)).min() >= 0.99999
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", *(s.file for s in report.manifest.shards)]
    )


def test_a_bad_file_fails_the_job_in_one_line_naming_file_and_line(
    ray_address, tiny_model, tmp_path, capsys
):
    """An undecodable line; the JSONL line without its text field is the same path, read by
    the same function (tests/ray/test_inputs.py), without a Ray job of its own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name, where = "bad.txt", "bad.txt:2: not UTF-8 text (byte 0xe9 at column 4)"
    (corpus / name).write_bytes(b"fine line\ncaf\xe9 au lait\n")
    out = tmp_path / "vectors"
    argv = ["embed", "--model", str(tiny_model), "--input", str(corpus / "*")]
    assert main([*argv, "--output", str(out), "--engine", "ray"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: {corpus / name}:") and where in last
    manifest = read_manifest(out)
    assert manifest.shards == [] and not manifest.complete
    assert not (out / shard_name(str(corpus / name))).exists()
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
