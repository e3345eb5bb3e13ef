"""IVF-PQ and indexes built from embedding shards (`index build --from-embeddings`).

The shards are written here with the embedding-shards API from the embed pipeline's vectors
(the Ray job that normally writes them is tested in tests/ray/). IVF-PQ is checked against its
own brute-force decode (every list probed: the same scores as q . reconstruction), against exact
search (recall@10 after re-ranking), and for the index's manifest, generations, removals and
model check.
"""

import numpy as np
import pytest

from bertkit.errors import BertkitError
from bertkit.index import IndexSearcher, VectorSpec, add_to_index, remove_from_index
from bertkit.index.from_embeddings import build_index_from_embeddings
from bertkit.index.store import read_manifest
from bertkit.index.vectors import load_index, search_vectors
from bertkit.pipelines.embed import EmbedPipeline, unit
from bertkit.pipelines.embedding_shards import (
    EmbeddingsManifest,
    Shard,
    shard_name,
    text_hash,
    write_manifest,
    write_shard,
)
from bertkit.pipelines.fingerprint import embedding_options, model_fingerprint
from tests.index.conftest import write_jsonl

pytest.importorskip("faiss")
pytest.importorskip("pyarrow")


def write_embeddings(folder, embed: EmbedPipeline, ids, vectors, shards: int = 2):
    """An embeddings directory as `bertkit embed --engine ray` leaves it, `shards` shards."""
    folder.mkdir()
    model = {"path": str(embed.model_dir), "fingerprint": model_fingerprint(embed)}
    manifest = EmbeddingsManifest(model=model | embedding_options(embed), dtype="float32")
    for number, part in enumerate(np.array_split(np.arange(len(ids)), shards)):
        name = shard_name(f"input-{number}")
        chosen = [ids[i] for i in part]
        digest = write_shard(folder / name, chosen, vectors[part], [text_hash(i) for i in chosen])
        shard = Shard(f"input-{number}", 0, 0, "", name, len(part), digest)
        manifest.shards.append(shard)
    manifest.complete = True
    write_manifest(folder, manifest)
    return folder


@pytest.fixture(scope="module")
def corpus(tiny_embedder, squad_paragraphs):
    """(embed, ids, passage vectors, question vectors) of the SQuAD dev paragraphs."""
    embed = EmbedPipeline(tiny_embedder, batch_size=64)
    rows = squad_paragraphs[:1600]
    vectors = unit(embed([r["text"] for r in rows])).astype(np.float32)
    questions = unit(embed([r["question"] for r in squad_paragraphs[1600:1800]]))
    return embed, [r["id"] for r in rows], vectors, questions.astype(np.float32)


@pytest.fixture(scope="module")
def embeddings(corpus, tmp_path_factory):
    embed, ids, vectors, _ = corpus
    return write_embeddings(tmp_path_factory.mktemp("emb") / "vectors", embed, ids, vectors)


def exact_top(queries, vectors, k):
    scores = queries @ vectors.T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k], np.sort(scores, axis=1)[:, ::-1][
        :, :k
    ]


SPEC = {"kind": "ivfpq", "nlist": 16, "pq_m": 8, "nprobe": 4, "rerank_depth": 100}


def test_ivfpq_equals_its_own_brute_force_decode(corpus, embeddings, tmp_path):
    _, _, vectors, questions = corpus
    spec = VectorSpec(**SPEC | {"nprobe": 16})  # every list probed: nothing is skipped
    manifest = build_index_from_embeddings(embeddings, tmp_path / "idx", spec)
    index = load_index(tmp_path / "idx" / manifest.vectors["file"])
    scores, keys = search_vectors(index, "ivfpq", spec, questions, 10, set())  # codes only
    index.make_direct_map()
    decoded = index.reconstruct_n(0, index.ntotal)  # centroid + decoded residual, per key
    assert np.abs(decoded - vectors).max() > 1e-3  # compressed: not the exact vectors
    want_keys, want_scores = exact_top(questions, decoded, 10)
    np.testing.assert_allclose(scores, want_scores, atol=1e-4)
    gaps = np.diff(want_scores, axis=1)  # keys agree wherever the scores are not tied
    clear = np.hstack([gaps[:, :1], np.minimum(gaps[:, 1:], gaps[:, :-1]), gaps[:, -1:]]) < -1e-4
    assert (keys == want_keys)[clear].all() and clear.mean() > 0.5

    # Re-ranking every vector with the exact copies is exact search.
    searcher = IndexSearcher(tmp_path / "idx")
    searcher.spec = VectorSpec(**SPEC | {"nprobe": 16, "rerank_depth": len(vectors)})
    exact_keys, exact_scores = exact_top(questions, vectors, 10)
    for (got, got_scores), want, want_s in zip(
        searcher.search_vectors(questions, 10), exact_keys, exact_scores, strict=True
    ):
        np.testing.assert_allclose(got_scores, want_s, atol=1e-5)
        assert (got == want).mean() >= 0.9  # ties in a random model's scores may swap


def test_ivfpq_recall_at_10_after_reranking_meets_the_goal(corpus, embeddings, tmp_path):
    """Queries near the corpus (passages plus noise): a random model's vectors of questions
    have no neighbourhoods for the lists to find. Real MiniLM vectors: benchmarks/bench_ivfpq.py."""
    _, _, vectors, _ = corpus
    rng = np.random.default_rng(0)
    chosen = vectors[rng.choice(len(vectors), 200, replace=False)]
    noise = rng.normal(scale=0.2 * chosen.std(), size=chosen.shape)
    questions = unit(chosen + noise).astype(np.float32)
    # A random 32-wide model's vectors crowd together, so its PQ codes order them poorly (recall
    # ~0.24 from the codes alone): the exact re-rank needs a quarter of this small corpus to
    # reach the goal here; real MiniLM vectors at 10^6 need far less (bench_ivfpq_scale.py).
    spec = VectorSpec(**SPEC | {"nprobe": 8, "rerank_depth": 400})
    build_index_from_embeddings(embeddings, tmp_path / "idx", spec)
    searcher = IndexSearcher(tmp_path / "idx")
    truth, _ = exact_top(questions, vectors, 10)

    def recall(results) -> float:
        pairs = zip(results, truth, strict=True)
        hits = [len(set(keys.tolist()) & set(t.tolist())) for (keys, _), t in pairs]
        return sum(hits) / truth.size

    reranked = recall(searcher.search_vectors(questions, 10))
    searcher.exact = None  # the PQ codes' own order
    codes_only = recall(searcher.search_vectors(questions, 10))
    assert reranked >= 0.90, (reranked, codes_only)
    assert reranked > codes_only


def test_an_index_from_embeddings_keeps_generations_removals_and_the_model_check(
    corpus, embeddings, other_embedder, tiny_embedder, squad_paragraphs, tmp_path
):
    embed, ids, vectors, questions = corpus
    out = tmp_path / "idx"
    manifest = build_index_from_embeddings(embeddings, out, VectorSpec(**SPEC))
    assert manifest.count == len(ids) and manifest.generation == 1
    assert manifest.model["fingerprint"] == model_fingerprint(embed)
    searcher = IndexSearcher(out)
    keys, _ = searcher.search_vectors(vectors[:5], 1, fingerprint=model_fingerprint(embed))[0]
    assert searcher.passages[int(keys[0])].id == ids[0]
    with pytest.raises(BertkitError, match="not the model this index was built with"):
        searcher.search_vectors(vectors[:1], 1, fingerprint="0" * 64)
    with pytest.raises(BertkitError, match="not the model this index was built with"):
        IndexSearcher(out, model_dir=other_embedder).embed  # noqa: B018 (loads and checks)

    new = squad_paragraphs[1800:1810]
    add_to_index(out, [write_jsonl(tmp_path / "new.jsonl", new)], model_dir=tiny_embedder)
    manifest = read_manifest(out)
    assert manifest.generation == 2 and len(manifest.vectors["exact"]) == 2
    hits = IndexSearcher(out)([r["text"] for r in new], k=1)
    assert [h[0].id for h in hits] == [r["id"] for r in new]

    remove_from_index(out, [ids[0], new[0]["id"]])
    searcher = IndexSearcher(out)
    assert len(searcher) == len(ids) + len(new) - 2 and searcher.manifest.generation == 3
    ((keys, _),) = searcher.search_vectors(vectors[:1], 50)
    found = {searcher.passages[int(k)].id for k in keys if k >= 0}
    assert ids[0] not in found
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("exact")) == [
        "exact-000001.npy",
        "exact-000002.npy",
    ]


def test_bad_embeddings_and_specs_are_one_line(corpus, embeddings, tmp_path):
    embed, ids, vectors, _ = corpus
    small = write_embeddings(tmp_path / "small", embed, ids[:100], vectors[:100], shards=1)
    with pytest.raises(BertkitError, match="trains on at least 256 vectors, got 100"):
        build_index_from_embeddings(small, tmp_path / "a", VectorSpec(**SPEC))
    with pytest.raises(BertkitError, match=r"pq_m \(5\) must divide the dimension \(32\)"):
        build_index_from_embeddings(embeddings, tmp_path / "b", VectorSpec(**SPEC | {"pq_m": 5}))
    shard = next(small.glob("part-*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-10])  # torn
    with pytest.raises(BertkitError, match="missing or changed since it was written"):
        build_index_from_embeddings(small, tmp_path / "c", VectorSpec(kind="flat"))
    with pytest.raises(BertkitError, match="not an embeddings directory"):
        build_index_from_embeddings(tmp_path, tmp_path / "d", VectorSpec(kind="flat"))
