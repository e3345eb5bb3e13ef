"""`bertkit serve` under load vs the simplest server a user would write, and a soak run.

    python benchmarks/bench_serve.py [--quick] [--seconds 20] [--concurrency 1,8,32,128]
                                     [--soak-seconds 600] [--model DIR] [--workers 1]

Closed-loop clients (each sends its next request when the last one is answered) at each
concurrency, sending single SST-2 sentences and batches of 32, over loopback, for `--seconds`
per cell: requests/s, sentences/s, p50/p95/p99 latency and errors. The same cells run against
the naive server defined below (FastAPI + one `SentenceTransformer.encode` per request), and the
offline pipeline embeds the same sentences for the ceiling. Then `--soak-seconds` at concurrency
32 against bertkit, sampling the server's RSS. Servers run one at a time, in subprocesses.
`--quick` is concurrency 1 and 32, 5 s per cell, a 30 s soak (about 2 minutes); the full run
is 4 levels x 20 s x 2 workloads x 2 servers and a 10-minute soak (about 17 minutes). A check
that fits about 6 minutes on an idle machine:

    python benchmarks/bench_serve.py --concurrency 1,32 --seconds 15 --soak-seconds 120

Each cell also records the server's CPU time (user + system, all its threads, from /proc) and
so its sentences per CPU-second, and the load average: on a shared, busy machine a server with
many runnable threads (the naive one runs up to 40 encodes at once) gets a larger share of the
cores than one with a single model thread, so wall-clock rates there favour it; sentences per
CPU-second compares the work each server does per sentence. On such a machine torch's
multi-threaded kernels also spin at their barriers while a peer thread waits for a core, so
`--torch-threads 1` (all three runs on one intra-op thread) compares like with like there. On an
idle machine, wall-clock figures with the default threads are the ones that count.
Writes benchmarks/results/serve-<device>[-quick].json.
"""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from measure import RESULTS, conditions, device_key, minilm_dir, texts_for, write_result

REPO = Path(__file__).resolve().parents[1]
BATCH = 32  # sentences per request in the "batch" cells
RSS_INTERVAL_S = 5.0


# ---------------------------------------------------------------------------------------------
# The rival: what a user writes first


def run_naive_server(model_dir: str, port: int) -> None:
    """FastAPI + sentence-transformers, one `encode` per request (a sync route: FastAPI runs it
    in its thread pool, so concurrent requests run concurrent encodes)."""
    import uvicorn
    from fastapi import FastAPI
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/embed")
    def embed(body: dict) -> list:
        return model.encode(body["inputs"], normalize_embeddings=True).tolist()

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# ---------------------------------------------------------------------------------------------
# Servers in subprocesses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: list[str], port: int) -> subprocess.Popen:
    import httpx

    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{argv} did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------------------------
# Closed-loop load


async def load(
    url: str, requests: list[list[str]], concurrency: int, seconds: float, on_tick=None
) -> dict:
    """`concurrency` clients send `requests` round robin for `seconds`; latency and errors."""
    import httpx

    latencies: list[float] = []
    errors = 0
    sentences = 0
    next_index = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors, sentences, next_index
        while time.perf_counter() < deadline:
            inputs = requests[next_index % len(requests)]
            next_index += 1
            started = time.perf_counter()
            try:
                response = await http.post(url + "/embed", json={"inputs": inputs})
                ok = response.status_code == 200 and len(response.json()) == len(inputs)
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok
            sentences += len(inputs) if ok else 0

    async def ticker() -> None:
        while time.perf_counter() < deadline:
            await asyncio.sleep(RSS_INTERVAL_S)
            on_tick()

    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        tasks = [client(http) for _ in range(concurrency)]
        await asyncio.gather(*tasks, *([ticker()] if on_tick else []))
    elapsed = time.perf_counter() - started
    ms = np.asarray(latencies) * 1000
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "sentences_per_s": round(sentences / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "elapsed_s": round(elapsed, 2),
    }


def run_cells(
    name: str, argv: list[str], port: int, workloads: dict, levels: list[int], seconds: float
) -> list[dict]:
    process = start(argv, port)
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for workload, requests in workloads.items():
            asyncio.run(load(url, requests, 4, min(seconds, 3)))  # warm up
            for concurrency in levels:
                row = {"server": name, "workload": workload}
                cpu_before = cpu_seconds(process.pid)
                row |= asyncio.run(load(url, requests, concurrency, seconds))
                cpu = cpu_seconds(process.pid) - cpu_before
                sentences = row["sentences_per_s"] * row["elapsed_s"]
                row["server_cpu_s"] = round(cpu, 2)
                row["sentences_per_cpu_s"] = round(sentences / max(cpu, 1e-9), 1)
                row["load_average_1m"] = round(os.getloadavg()[0], 2)
                print(row, flush=True)
                rows.append(row)
    finally:
        stop(process)
    return rows


def soak(argv: list[str], port: int, requests: list[list[str]], seconds: float) -> dict:
    """Concurrency 32 for `seconds`; RSS every 5 s; growth after the first tenth (warm-up)."""
    process = start(argv, port)
    samples: list[tuple[float, float]] = []
    began = time.perf_counter()

    def sample() -> None:
        samples.append((round(time.perf_counter() - began, 1), round(rss_mb(process.pid), 1)))

    try:
        sample()
        result = asyncio.run(load(f"http://127.0.0.1:{port}", requests, 32, seconds, sample))
        sample()
    finally:
        stop(process)
    warm = [rss for t, rss in samples if t >= seconds / 10] or [samples[-1][1]]
    return result | {
        "seconds": seconds,
        "rss_after_warmup_mb": warm[0],
        "rss_end_mb": samples[-1][1],
        "rss_growth_after_warmup_mb": round(samples[-1][1] - warm[0], 1),
        "rss_samples": samples,
    }


def offline_throughput(model_dir: Path, sentences: list[str]) -> dict:
    from bertkit.pipelines import pipeline

    embed = pipeline("embed", model_dir, batch_size=BATCH, progress=False)
    embed(sentences[:64])  # warm up
    started, cpu_started = time.perf_counter(), time.process_time()
    embed(sentences)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # this process, all threads
    return {
        "sentences": len(sentences),
        "sentences_per_s": round(len(sentences) / elapsed, 1),
        "sentences_per_cpu_s": round(len(sentences) / max(cpu, 1e-9), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: MiniLM)")
    parser.add_argument("--quick", action="store_true", help="concurrency 1,32; 5 s cells")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per cell")
    parser.add_argument("--concurrency", default="1,8,32,128")
    parser.add_argument("--soak-seconds", type=float, default=600.0, help="0 skips the soak")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="`bertkit serve --workers`")
    parser.add_argument(
        "--torch-threads",
        type=int,
        help="intra-op threads for the offline pipeline and both servers (OMP_NUM_THREADS); "
        "default: torch's own (every core)",
    )
    parser.add_argument("--naive-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    model_dir = Path(args.model) if args.model else minilm_dir()
    if args.naive_server:
        return run_naive_server(str(model_dir), args.naive_server)
    if args.quick:
        args.seconds, args.concurrency, args.soak_seconds = 5.0, "1,32", min(args.soak_seconds, 30)
    if args.torch_threads:  # the servers inherit it; this process sets it for the offline run
        os.environ["OMP_NUM_THREADS"] = str(args.torch_threads)
        import torch

        torch.set_num_threads(args.torch_threads)
    levels = [int(c) for c in args.concurrency.split(",")]
    sentences = [s.strip() for s in texts_for("sst2")]
    workloads = {
        "single": [[s] for s in sentences],
        "batch32": [sentences[i : i + BATCH] for i in range(0, len(sentences) - BATCH, BATCH)],
    }
    env_python = [sys.executable]
    result: dict = {"conditions_start": conditions(), "model": str(model_dir.name)}
    offline_count = 256 if args.quick else 1024
    result["offline_pipeline"] = offline_throughput(model_dir, sentences[:offline_count])
    print("offline", result["offline_pipeline"], flush=True)
    port = free_port()
    bertkit_argv = [*env_python, "-m", "bertkit.cli.main", "serve", "--model", str(model_dir)]
    bertkit_argv += ["--port", str(port), "--workers", str(args.workers)]
    rows = run_cells("bertkit", bertkit_argv, port, workloads, levels, args.seconds)
    if not args.skip_naive:
        naive_argv = [*env_python, __file__, "--naive-server", str(port), "--model", str(model_dir)]
        rows += run_cells("naive", naive_argv, port, workloads, levels, args.seconds)
    result["cells"] = rows
    result["ratios"] = ratios(rows, result["offline_pipeline"])
    if args.soak_seconds > 0:
        result["soak"] = soak(bertkit_argv, port, workloads["single"], args.soak_seconds)
        print("soak", {k: v for k, v in result["soak"].items() if k != "rss_samples"})
    result["conditions_end"] = conditions()
    result["settings"] = vars(args)
    name = f"serve-{device_key()}{'-quick' if args.quick else ''}.json"
    write_result(RESULTS / name, result)
    print_table(rows, result["offline_pipeline"])


def ratios(rows: list[dict], offline: dict) -> dict:
    """bertkit / naive for each (workload, concurrency) both ran, and bertkit / offline."""
    naive = {(r["workload"], r["concurrency"]): r for r in rows if r["server"] == "naive"}
    out = {}
    for r in rows:
        other = naive.get((r["workload"], r["concurrency"]))
        if r["server"] != "bertkit":
            continue
        key = f"{r['workload']}@{r['concurrency']}"
        entry = {
            "vs_offline_sentences_per_s": round(
                r["sentences_per_s"] / offline["sentences_per_s"], 2
            ),
            "vs_offline_per_cpu_s": round(
                r["sentences_per_cpu_s"] / offline["sentences_per_cpu_s"], 2
            ),
        }
        if other is not None:
            entry |= {
                "vs_naive_sentences_per_s": round(
                    r["sentences_per_s"] / max(other["sentences_per_s"], 1e-9), 2
                ),
                "vs_naive_per_cpu_s": round(
                    r["sentences_per_cpu_s"] / max(other["sentences_per_cpu_s"], 1e-9), 2
                ),
                "p99_ms": [r["p99_ms"], other["p99_ms"]],
            }
        out[key] = entry
    return out


def print_table(rows: list[dict], offline: dict) -> None:
    print(
        "| server | workload | conc. | req/s | sentences/s | sentences/CPU-s | p50 ms | p95 ms "
        "| p99 ms | errors | load 1m |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['server']} | {r['workload']} | {r['concurrency']} | {r['requests_per_s']} | "
            f"{r['sentences_per_s']} | {r['sentences_per_cpu_s']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['p99_ms']} | {r['errors']} | {r['load_average_1m']} |"
        )
    print(
        f"offline pipeline (batch {BATCH}): {offline['sentences_per_s']} sentences/s, "
        f"{offline['sentences_per_cpu_s']} sentences/CPU-s"
    )
    for key, entry in ratios(rows, offline).items():
        print(f"bertkit {key}: {entry}")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
