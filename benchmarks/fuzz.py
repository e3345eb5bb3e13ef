"""The long fuzzing campaign: every reader's property test with many examples, counts written out.

Runs each fuzz test file in its own pytest process with BERTKIT_FUZZ_EXAMPLES=N (tests/fuzzing.py)
and collects, per reader, the cases that gave a result ("ok"), the cases that gave one clean
BertkitError ("error"), and the findings (failed tests: another exception, a hang past the
deadline, a multi-line or anonymous error), with the first line of each.

    python benchmarks/fuzz.py                    # 10,000 examples per test (hours on 2 busy cores)
    python benchmarks/fuzz.py --examples 300     # quick check (a few minutes)
    python benchmarks/fuzz.py --only tokenizer   # fuzz files whose path contains "tokenizer"
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FUZZ_FILES = [
    "tests/tokenizer/test_fuzz_tokenizer_files.py",
    "tests/tasks/test_fuzz_task_files.py",
    "tests/interop/test_fuzz_checkpoint.py",
    "tests/data/test_fuzz_corpus.py",
    "tests/cli/test_fuzz_args.py",
]


def run_file(path: str, examples: int, timeout: float) -> dict:
    """One pytest process over one fuzz file; its counts, findings and wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "counts.json"
        env = {**os.environ, "BERTKIT_FUZZ_EXAMPLES": str(examples), "BERTKIT_FUZZ_LOG": str(log)}
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "--show-capture=no", path],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
            )  # fmt: skip
            output, status = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as expired:
            output, status = (expired.stdout or b"").decode(errors="replace"), "timeout"
        seconds = time.perf_counter() - started
        counts = json.loads(log.read_text()) if log.exists() else {}
    failed = re.findall(r"^FAILED (\S+)(?: - (.*))?$", output, re.M)
    findings = [{"test": test, "first_line": (why or "")[:300]} for test, why in failed]
    summary = re.findall(r"^=* ?(\d+ (?:passed|failed).*?)(?: =*)?$", output, re.M)
    return {
        "file": path,
        "status": status,
        "seconds": round(seconds, 1),
        "counts": counts,
        "findings": findings,
        "pytest": summary[-1] if summary else output[-500:],
        # hypothesis prints the failing input in the traceback: keep it with the finding
        "failure_output": anonymous(output[-6000:]) if findings else "",
    }


def anonymous(text: str) -> str:
    """The failure output without this machine's folders (the repository, the temp folder)."""
    return text.replace(str(REPO), "<repo>").replace(tempfile.gettempdir(), "<tmp>")


def write_report(results: list[dict], args, started: float, load_before) -> None:
    readers: dict[str, dict] = {}
    for result in results:
        for reader, counts in result["counts"].items():
            readers[reader] = {
                "ok": counts.get("ok", 0),
                "error": counts.get("error", 0),
                "cases": sum(counts.values()),
            }
    report = {
        "examples_per_test": args.examples,
        "readers": readers,
        "findings": [f for r in results for f in r["findings"]],
        "files": results,
        "total_cases": sum(r["cases"] for r in readers.values()),
        "seconds": round(time.time() - started, 1),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples per fuzz test")
    parser.add_argument("--only", default="", help="run the fuzz files whose path contains this")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per file")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "fuzz.json"))
    args = parser.parse_args()
    started, load_before = time.time(), os.getloadavg()
    results = []
    for path in [p for p in FUZZ_FILES if args.only in p]:
        result = run_file(path, args.examples, args.timeout)
        results.append(result)
        cases = sum(sum(c.values()) for c in result["counts"].values())
        print(
            f"{path}: {cases} cases, {len(result['findings'])} findings, {result['seconds']} s, "
            f"{result['pytest']}",
            flush=True,
        )
        write_report(results, args, started, load_before)  # after each file: partial runs count
    report = json.loads(Path(args.out).read_text())
    print(f"{report['total_cases']} cases, {len(report['findings'])} findings -> {args.out}")


if __name__ == "__main__":
    main()
