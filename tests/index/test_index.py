"""The index equals brute force, survives across processes and crashes, refuses another model."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from bertkit import BertkitError
from bertkit.index import (
    IndexSearcher,
    VectorSpec,
    add_to_index,
    build_index,
    remove_from_index,
)
from bertkit.index.fusion import reciprocal_rank_fusion
from bertkit.index.store import read_manifest
from bertkit.pipelines import EmbedPipeline
from bertkit.pipelines.embed import unit
from tests.index.conftest import write_jsonl

K = 5


def brute_force(embed, rows, queries, k=K):
    """Ids and cosines of the k best rows per query by a full numpy scan."""
    passages = unit(embed([r["text"] for r in rows]))
    scores = unit(embed(queries)) @ passages.T
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    ids = [[rows[i]["id"] for i in row] for row in best]
    return ids, np.take_along_axis(scores, best, axis=1)


def assert_same_as_brute_force(searcher, embed, rows, queries):
    expected_ids, expected_scores = brute_force(embed, rows, queries)
    hits = searcher(queries, k=K)
    for query_hits, ids, scores in zip(hits, expected_ids, expected_scores, strict=True):
        assert [h.id for h in query_hits] == ids
        np.testing.assert_allclose([h.score for h in query_hits], scores, atol=1e-5)


@pytest.fixture
def rows(squad_paragraphs):
    return squad_paragraphs[:80]


def test_flat_index_equals_brute_force_through_build_add_remove(tiny_embedder, rows, tmp_path):
    embed = EmbedPipeline(tiny_embedder)
    queries = [r["question"] for r in rows[::7]]
    out = tmp_path / "index"
    build_index(tiny_embedder, [write_jsonl(tmp_path / "a.jsonl", rows[:50])], out)
    assert read_manifest(out).vectors["kind"] == "flat"
    assert_same_as_brute_force(IndexSearcher(out), embed, rows[:50], queries)

    add_to_index(out, [write_jsonl(tmp_path / "b.jsonl", rows[50:])])
    searcher = IndexSearcher(out)
    assert len(searcher) == len(rows)
    assert_same_as_brute_force(searcher, embed, rows, queries)
    hit = searcher(rows[60]["text"], k=1)[0]  # a passage is its own nearest neighbour
    row = rows[60]
    assert (hit.id, hit.text, hit.metadata) == (row["id"], row["text"], row["metadata"])

    gone = {rows[i]["id"] for i in (0, 7, 55, 79)}
    remove_from_index(out, sorted(gone))
    kept = [r for r in rows if r["id"] not in gone]
    assert_same_as_brute_force(IndexSearcher(out), embed, kept, queries)
    assert read_manifest(out).count == len(kept)


def test_hnsw_hides_removed_passages_and_auto_switches_past_flat_max(tiny_embedder, rows, tmp_path):
    spec = VectorSpec(kind="auto", flat_max=40, ef_search=200)
    out = tmp_path / "index"
    build_index(tiny_embedder, [write_jsonl(tmp_path / "a.jsonl", rows[:30])], out, spec)
    assert read_manifest(out).vectors["kind"] == "flat"
    add_to_index(out, [write_jsonl(tmp_path / "b.jsonl", rows[30:])])
    assert read_manifest(out).vectors["kind"] == "hnsw"
    embed = EmbedPipeline(tiny_embedder)
    queries = [r["question"] for r in rows[::9]]
    # With efSearch above the index size, HNSW on 80 vectors finds the exact neighbours.
    assert_same_as_brute_force(IndexSearcher(out), embed, rows, queries)

    gone = [rows[i]["id"] for i in (3, 31, 64)]
    remove_from_index(out, gone)
    manifest = read_manifest(out)
    assert manifest.vectors["stale"] == 3 and manifest.count == len(rows) - 3
    kept = [r for r in rows if r["id"] not in gone]
    searcher = IndexSearcher(out)
    assert_same_as_brute_force(searcher, embed, kept, queries)
    everything = searcher(rows[3]["text"], k=len(rows))
    assert len(everything) == len(kept) and not {h.id for h in everything} & set(gone)

    remove_from_index(out, [r["id"] for r in kept[:20]])  # past COMPACT_SHARE: graph rebuilt
    assert read_manifest(out).vectors["stale"] == 0
    assert_same_as_brute_force(IndexSearcher(out), embed, kept[20:], queries)


def test_ids_must_be_new_on_add_and_known_on_remove(tiny_embedder, rows, tmp_path):
    out = tmp_path / "index"
    corpus = write_jsonl(tmp_path / "a.jsonl", rows[:10])
    build_index(tiny_embedder, [corpus], out)
    with pytest.raises(BertkitError, match="already in the index"):
        add_to_index(out, [corpus])
    with pytest.raises(BertkitError, match="not in the index"):
        remove_from_index(out, [rows[0]["id"], "no-such-id"])
    assert read_manifest(out).count == 10  # a refused change changes nothing
    with pytest.raises(BertkitError, match="not empty"):
        build_index(tiny_embedder, [corpus], out)


def test_a_query_from_another_model_is_refused(tiny_embedder, other_embedder, rows, tmp_path):
    out = tmp_path / "index"
    build_index(tiny_embedder, [write_jsonl(tmp_path / "a.jsonl", rows[:10])], out)
    with pytest.raises(BertkitError, match="not the model this index was built with"):
        IndexSearcher(out, model_dir=other_embedder)("a question")
    with pytest.raises(BertkitError, match="not the model this index was built with"):
        add_to_index(out, [write_jsonl(tmp_path / "b.jsonl", rows[10:12])], other_embedder)
    vectors = EmbedPipeline(other_embedder)(["a question"])
    with pytest.raises(BertkitError, match="fingerprint"):
        IndexSearcher(out).search_vectors(vectors, 3, fingerprint="0" * 64)
    copy = tmp_path / "copy"  # a copy of the right model is the same model
    copy.mkdir()
    for path in tiny_embedder.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    assert len(IndexSearcher(out, model_dir=copy)("a question", k=3)) == 3


def run_cli(*args, check=True):
    done = subprocess.run(
        [sys.executable, "-m", "bertkit.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_index_persists_across_processes(tiny_embedder, rows, tmp_path):
    out = tmp_path / "index"
    corpus = write_jsonl(tmp_path / "a.jsonl", rows[:40])
    run_cli("index", "build", "--model", tiny_embedder, "--corpus", corpus, "--out", out, "--bm25")
    queries = tmp_path / "queries.txt"
    questions = [r["question"] for r in rows[:40:8]]
    queries.write_text("\n".join(questions) + "\n")
    done = run_cli("search", "--index", out, "--top-k", "4", "--input", queries, "--mode", "hybrid")
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    expected = IndexSearcher(out)(questions, k=4, mode="hybrid")
    assert len(printed) == len(questions)
    for line, hits in zip(printed, expected, strict=True):
        assert [h["id"] for h in line] == [h.id for h in hits]
        assert set(line[0]) == {"id", "score", "text", "metadata"}


# Runs an add in a child process that kills itself with SIGKILL at a chosen moment: after every
# new file is written but before the manifest swap, or halfway through writing the vectors file.
CRASHING_ADD = """
import os, signal, sys
import bertkit.index.build as build

def crash(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def half_written(index, path):
    open(path, "wb").write(b"FAISS" * 1000)
    crash()

if sys.argv[1] == "before-commit":
    build.commit = crash
else:
    build.save_index = half_written
build.add_to_index(sys.argv[2], [sys.argv[3]])
"""


@pytest.mark.parametrize("moment", ["before-commit", "mid-write"])
def test_a_crash_mid_add_leaves_the_previous_index_usable(tiny_embedder, rows, tmp_path, moment):
    out = tmp_path / "index"
    build_index(tiny_embedder, [write_jsonl(tmp_path / "a.jsonl", rows[:30])], out, use_bm25=True)
    questions = [r["question"] for r in rows[:30:6]]
    before = [[h.id for h in hits] for hits in IndexSearcher(out)(questions, k=K)]
    more = write_jsonl(tmp_path / "b.jsonl", rows[30:60])
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_ADD, moment, str(out), str(more)], capture_output=True
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert len(os.listdir(out)) > len(read_manifest(out).files()) + 1  # debris of the add

    searcher = IndexSearcher(out)
    assert len(searcher) == 30
    assert [[h.id for h in hits] for hits in searcher(questions, k=K)] == before
    add_to_index(out, [more])  # the next add succeeds and sweeps the debris
    assert len(IndexSearcher(out)) == 60
    assert set(os.listdir(out)) == read_manifest(out).files() | {"manifest.json", ".lock"}


def test_bm25_and_hybrid_rankings(tiny_embedder, rows, tmp_path):
    out = tmp_path / "index"
    build_index(tiny_embedder, [write_jsonl(tmp_path / "a.jsonl", rows)], out, use_bm25=True)
    searcher = IndexSearcher(out)
    target = rows[42]
    words = " ".join(target["text"].split()[:12])  # its own words: BM25 ranks it first
    assert searcher(words, k=3, mode="bm25")[0].id == target["id"]
    dense = [h.id for h in searcher(words, k=100, mode="dense")]
    lexical = [h.id for h in searcher(words, k=100, mode="bm25")]
    fused = searcher(words, k=10, mode="hybrid")
    expected = reciprocal_rank_fusion([dense, lexical])[:10]
    assert [h.id for h in fused] == [key for key, _ in expected]
    np.testing.assert_allclose([h.score for h in fused], [s for _, s in expected])
    build_index(tiny_embedder, [write_jsonl(tmp_path / "b.jsonl", rows[:5])], tmp_path / "x")
    with pytest.raises(BertkitError, match="without BM25"):
        IndexSearcher(tmp_path / "x")("anything", mode="hybrid")


def test_reciprocal_rank_fusion_sums_inverse_ranks():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert [key for key, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1][1] == pytest.approx(1 / 63 + 1 / 61)


def test_rerank_reorders_the_first_stage_by_the_cross_encoder(
    tiny_embedder, classify_regression_dir, rows, tmp_path
):
    from bertkit.pipelines import ClassifyPipeline

    out = tmp_path / "index"
    build_index(tiny_embedder, [write_jsonl(tmp_path / "a.jsonl", rows[:40])], out)
    query = rows[5]["question"]
    first = IndexSearcher(out)(query, k=8)
    reranked = IndexSearcher(out, rerank_model=classify_regression_dir)(query, k=3, rerank_depth=8)
    cross = ClassifyPipeline(classify_regression_dir)
    scores = {h.id: cross(query, h.text).score for h in first}
    best = sorted(scores, key=lambda i: -scores[i])[:3]
    assert [h.id for h in reranked] == best
    np.testing.assert_allclose([h.score for h in reranked], [scores[i] for i in best], atol=1e-5)


def test_minilm_index_finds_the_paragraph_of_a_question(minilm_dir, squad_paragraphs, tmp_path):
    rows = squad_paragraphs[:40]
    out = tmp_path / "index"
    build_index(minilm_dir, [write_jsonl(tmp_path / "a.jsonl", rows)], out, use_bm25=True)
    searcher = IndexSearcher(out)
    questions = [r["question"] for r in rows[::4]]
    for mode in ("dense", "hybrid"):
        hits = searcher(questions, k=5, mode=mode)
        found = sum(r["id"] in {h.id for h in h5} for r, h5 in zip(rows[::4], hits, strict=True))
        assert found >= 0.8 * len(questions), (mode, found)
