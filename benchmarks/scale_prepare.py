"""How `prepare-pretraining` scales with corpus size and workers: MB/s and peak memory per process.

Corpora are generated, never committed: the paragraphs of WikiText-2 (valid + test), shuffled with
a seed and repeated until the wanted size, one paragraph per line (`--format lines`), written under
runs/scale/. Each run is the real command in a subprocess; a sampler reads every process of its tree
(parent + workers) from /proc four times a second: RSS and PSS (PSS shares forked pages fairly, so
the sum over processes is the machine's real cost). The rival is google's create_pretraining_data.py
memory layout, reimplemented minimally (`--rival`): every document tokenized and held, then every
instance built and held in one list before writing (`all_documents`, `instances.extend`).

    python benchmarks/scale_prepare.py --quick                   # 10 and 30 MB (~3 min)
    python benchmarks/scale_prepare.py --sizes 100 --rival       # 100 MB (~10 min on 2 busy cores)
    python benchmarks/scale_prepare.py --sizes 100 1000 --rival  # the full study (~1.5 h)
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RUNS = REPO / "runs" / "scale"
DATA = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
VOCAB = DATA / "vocab" / "bert-base-uncased"
SOURCES = [DATA / "wikitext-2-raw" / f"wiki.{split}.raw" for split in ("valid", "test")]


def make_corpus(megabytes: int, seed: int = 0) -> Path:
    """runs/scale/corpus-<MB>mb-seed<seed>.txt: shuffled WikiText-2 paragraphs, one per line."""
    path = RUNS / f"corpus-{megabytes}mb-seed{seed}.txt"
    if path.exists():
        return path
    paragraphs = [
        line.strip().encode()
        for source in SOURCES
        for line in source.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("=")
    ]
    rng, target, written = np.random.default_rng(seed), megabytes * 10**6, 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        while written < target:
            for i in rng.permutation(len(paragraphs)):
                f.write(paragraphs[i] + b"\n")
                written += len(paragraphs[i]) + 1
                if written >= target:
                    break
    tmp.rename(path)
    return path


def _tree(root: int) -> list[int]:
    """`root` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) once it is gone."""
    try:
        rollup = (Path("/proc") / str(pid) / "smaps_rollup").read_text().splitlines()
    except OSError:
        return 0, 0
    values = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in rollup[1:]}
    return values.get("Rss", 0), values.get("Pss", 0)


def measure(command: list[str]) -> dict:
    """Run `command`; its wall time and the peak memory of each of its processes and of all."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    peak_rss_sum = peak_pss_sum = 0
    started = time.perf_counter()

    def sample() -> None:
        nonlocal peak_rss_sum, peak_pss_sum
        while process.poll() is None:
            memory = {pid: _memory(pid) for pid in _tree(process.pid)}
            for pid, (rss, _) in memory.items():
                peaks[pid] = max(peaks.get(pid, 0), rss)
            peak_rss_sum = max(peak_rss_sum, sum(rss for rss, _ in memory.values()))
            peak_pss_sum = max(peak_pss_sum, sum(pss for _, pss in memory.values()))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the whole tree, workers included
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode()[-2000:]}")
    mb = 2**20
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),  # on a busy machine, MB per CPU second says more than MB/s
        "peak_rss_per_process_mb": sorted((round(v / mb, 1) for v in peaks.values()), reverse=True),
        "peak_rss_sum_mb": round(peak_rss_sum / mb, 1),
        "peak_pss_sum_mb": round(peak_pss_sum / mb, 1),
        "stdout_tail": out.decode()[-400:],
    }


def run_bertkit(corpus: Path, workers: int) -> dict:
    out = RUNS / f"out-{corpus.stem}-w{workers}"
    command = [sys.executable, "-m", "bertkit.cli.main", "prepare-pretraining",
               "--corpus", str(corpus), "--vocab-from", str(VOCAB), "--out", str(out),
               "--format", "lines", "--workers", str(workers), "--no-progress"]  # fmt: skip
    return measure(command)


def rival(corpus: Path, max_seq_length: int = 128) -> None:
    """google's layout: all documents tokenized in memory, then all instances in one list."""
    from bertkit.data.corpus import read_documents
    from bertkit.data.instances import create_instances
    from bertkit.tokenizer import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.from_pretrained(VOCAB)
    rng = np.random.default_rng(12345)
    # create_pretraining_data.py: all_documents holds every document as lists of token strings.
    all_documents = [
        [tokenizer.tokenize(s) for s in doc] for doc in read_documents(corpus, "lines")
    ]
    ids = [[tokenizer.convert_tokens_to_ids(s) for s in doc if s] for doc in all_documents]
    instances = []
    for index in range(len(ids)):  # instances.extend(create_instances_from_document(...))
        instances.extend(
            create_instances(
                ids, index, rng, cls_id=tokenizer.cls_token_id, sep_id=tokenizer.sep_token_id,
                max_seq_length=max_seq_length,
            )
        )  # fmt: skip
    rng.shuffle(instances)
    out = RUNS / f"rival-{corpus.stem}.bin"
    with out.open("wb") as f:
        for instance in instances:
            np.asarray(instance.tokens, dtype=np.uint16).tofile(f)
    print(json.dumps({"documents": len(all_documents), "instances": len(instances)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100], help="corpus sizes, MB")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rival", action="store_true", help="also google's in-memory layout")
    parser.add_argument("--quick", action="store_true", help="10 and 30 MB only")
    parser.add_argument("--rival-worker", help=argparse.SUPPRESS)  # internal: run the rival
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "scale.json"))
    args = parser.parse_args()
    if args.rival_worker:
        rival(Path(args.rival_worker))
        return
    sizes = [10, 30] if args.quick else args.sizes
    rows = []
    for size in sizes:
        corpus = make_corpus(size)
        megabytes = corpus.stat().st_size / 10**6
        runs = [("bertkit", w) for w in args.workers] + ([("rival", 1)] if args.rival else [])
        for name, workers in runs:
            load = os.getloadavg()
            if name == "bertkit":
                result = run_bertkit(corpus, workers)
            else:
                result = measure([sys.executable, __file__, "--rival-worker", str(corpus)])
            row = {"corpus_mb": round(megabytes, 1), "program": name, "workers": workers,
                   "mb_per_s": round(megabytes / result["seconds"], 3),
                   "mb_per_cpu_s": round(megabytes / result["cpu_seconds"], 3), **result,
                   "loadavg_before": load, "loadavg_after": os.getloadavg()}  # fmt: skip
            rows.append(row)
            print(
                f"{megabytes:7.1f} MB {name:8s} workers={workers}: {row['mb_per_s']:.3f} MB/s, "
                f"{row['mb_per_cpu_s']:.3f} MB per CPU s, "
                f"peak RSS sum {row['peak_rss_sum_mb']} MB (PSS {row['peak_pss_sum_mb']} MB), "
                f"per process {row['peak_rss_per_process_mb'][:4]}, load {load[0]:.1f}",
                flush=True,
            )
    report = {"rows": rows, "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
