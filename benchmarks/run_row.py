"""One row of `make bench`, measured in a process of its own (started by `suite.py`).

    python benchmarks/run_row.py --row NAME --result OUT.json [--rounds 3] [--quick]
        [--data DIR] [--work DIR] [--memory bertkit|transformers]

A process per row keeps one row's allocations, threads and compiled kernels from touching the
next. For the model-level rows (`rows.py`) both implementations take turns for `--rounds` and the
time is the median turn; `--memory NAME` instead measures the peak resident memory of one
implementation alone (CPU). End-to-end rows (`deploy_rows.py`) run every system in turn.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from deploy_rows import DEPLOY_ROWS, measure_deploy_row
from measure import PeakRss, matmul_peak, sync
from rows import IMPLS, ROWS, SETUPS, Row, Side

INFERENCE_KINDS = ("embed", "model-padded")  # timed over every batch, after two warm-up batches


def turn(side: Side, batches: list[dict], device: torch.device, autocast) -> float:
    """Seconds for one pass of `side` over `batches` (already on the device)."""
    sync(device)
    start = time.perf_counter()
    with autocast():
        for batch in batches:
            side.run(batch)
    sync(device)
    return time.perf_counter() - start


def autocast_for(device: torch.device):
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    return lambda: torch.autocast(device.type, enabled=False)


def grad_mode(row: Row):
    return torch.inference_mode if row.kind in INFERENCE_KINDS else torch.enable_grad


def measure_row(row: Row, rounds: int, quick: bool, memory_of: str | None) -> dict:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as work:
        setup = SETUPS[row.kind](row, device, Path(work), quick)
    batches = [{k: v.to(device) for k, v in b.items()} for b in setup.batches]
    inference = row.kind in INFERENCE_KINDS
    warmup, timed = (batches[:2], batches) if inference else (batches[:1], batches[1:])
    autocast = autocast_for(device)
    if memory_of:  # CPU peak memory: one implementation, in a process of its own
        side = setup.sides[memory_of]
        for other in set(IMPLS) - {memory_of}:
            del setup.sides[other]
        with grad_mode(row)():
            baseline = PeakRss.now()
            with PeakRss() as rss:
                turn(side, timed[:2], device, autocast)
        return {"peak_mib": (rss.peak - baseline) / 2**20}
    result: dict = {"row": row.name, "kind": row.kind, "batch_size": row.batch_size}
    with grad_mode(row)():
        if setup.check is not None:
            result["max_abs_diff"] = setup.check(setup.sides, batches[0])
        for side in setup.sides.values():
            turn(side, warmup, device, autocast)
        seconds: dict[str, list[float]] = {name: [] for name in IMPLS}
        peaks: dict[str, float] = {}
        for r in range(rounds):
            for name in IMPLS if r % 2 == 0 else IMPLS[::-1]:
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                    base = torch.cuda.memory_allocated()
                seconds[name].append(turn(setup.sides[name], timed, device, autocast))
                if device.type == "cuda":
                    peak = (torch.cuda.max_memory_allocated() - base) / 2**20
                    peaks[name] = max(peaks.get(name, 0.0), peak)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    result |= {
        "unit": "tokens",
        "work_per_turn": setup.tokens,
        "seconds": median,
        "seconds_all_rounds": seconds,
        "throughput": {name: setup.tokens / median[name] for name in IMPLS},
        "speedup": median["transformers"] / median["bertkit"],
    }
    if peaks:
        result["peak_mib"] = peaks
    if setup.flops_per_turn and device.type == "cuda":
        peak_flops = matmul_peak(torch.bfloat16, device)
        result["peak_bf16_tflops"] = peak_flops / 1e12
        result["mfu"] = {name: setup.flops_per_turn / median[name] / peak_flops for name in IMPLS}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--row", required=True)
    parser.add_argument("--result", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data", help="prepared pretraining data (pretrain rows)")
    parser.add_argument("--work", type=Path, help="a folder for exported models (e2e rows)")
    parser.add_argument("--memory", help="measure the peak memory of this implementation only")
    args = parser.parse_args()

    from bertkit.files import write_json

    deploy = {r.name: r for r in DEPLOY_ROWS}
    if args.row in deploy:
        result = measure_deploy_row(deploy[args.row], args.rounds, args.quick, args.work)
    else:
        row = next(r for r in ROWS if r.name == args.row)
        if args.data:
            row.extra["data"] = args.data
        result = measure_row(row, args.rounds, args.quick, args.memory)
    write_json(args.result, result)


if __name__ == "__main__":
    main()
