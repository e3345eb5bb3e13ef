"""`make bench`: bertkit against what users would run instead, row by row, on this machine's device.

    python benchmarks/suite.py [--only WORD,...] [--rows NAME,...] [--rounds 3] [--quick]
    make bench BENCH_ARGS="--only e2e"          # the end-to-end rows alone

Rows: the model-level comparisons with transformers (`rows.py`: embed, model-padded, pretrain,
finetune), the end-to-end comparisons with sentence-transformers, ONNX Runtime and transformers'
pipeline (`deploy_rows.py`: e2e-embed, e2e-classify), and tokenization
(`bench_tokenizer.py`). Each row runs in a process of its own (`run_row.py`); on CPU the peak
memory of each model-level implementation is measured in one more process each, with glibc told
to hand freed memory back at once, so the figure is the live tensors, not the allocator's cache.
`--only` keeps the rows whose name contains any of the words (`--only embed` is every embedding
row); `--rows` names rows exactly.

A full run (not `--quick`) merges its rows into benchmarks/results/<device>.json, each row with
its own date and load average, and rewrites the device's tables in docs/benchmarks.md from that
file; a quick run merges into benchmarks/results/<device>-quick.json and leaves the docs alone.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from deploy_rows import DEPLOY_ROWS
from measure import REPO, RESULTS, conditions, data_dir, device_key
from rows import IMPLS, ROWS

DOCS = REPO / "docs" / "benchmarks.md"
CHILD = Path(__file__).with_name("run_row.py")
# glibc: serve big allocations with mmap and give freed memory back, so RSS follows live tensors
MALLOC_RETURNS_MEMORY = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}


def run_child(args: list[str], env: dict | None = None) -> dict:
    """Run `run_row.py` with `args` in a fresh process; its result, or {"error": last line}."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, str(CHILD), *args, "--result", out.name]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
            return {"error": tail[0]}
        return json.loads(Path(out.name).read_text())


def tokenize_rows() -> list[dict]:
    with tempfile.TemporaryDirectory() as out:
        script = REPO / "benchmarks" / "bench_tokenizer.py"
        proc = subprocess.run(
            [sys.executable, str(script), "--out", out], capture_output=True, text=True
        )
        if proc.returncode != 0:
            return [{"row": "tokenize", "error": proc.stderr.strip().splitlines()[-1]}]
        written = json.loads(Path(out, "tokenizer-cpu.json").read_text())
        rows = {r["case"]: r for r in written["rows"]}
    pairs = [
        ("tokenize-1-core", "bertkit, 1 process", "transformers fast, 1 thread"),
        (
            "tokenize-all-cores",
            f"bertkit, {os.cpu_count()} processes",
            f"transformers fast, {os.cpu_count()} threads",
        ),
    ]
    out_rows = []
    for name, ours, theirs in pairs:
        if ours in rows and theirs in rows:
            a, b = rows[ours]["mb_per_s"], rows[theirs]["mb_per_s"]
            out_rows.append(
                {"row": name, "unit": "MB", "throughput": {"bertkit": a, "transformers": b}}
                | {"speedup": a / b}
            )
    return out_rows


def prepare_pretraining_data(work: Path, seq_lens: set[int]) -> dict[int, str]:
    from bertkit.data.prepare import PrepareConfig, prepare_pretraining
    from bertkit.tokenizer import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.from_pretrained(data_dir() / "vocab" / "bert-base-uncased")
    corpus = [data_dir() / "wikitext-2-raw" / f"wiki.{s}.raw" for s in ("valid", "test")]
    paths = {}
    for seq_len in sorted(seq_lens):
        out = work / f"pretrain-{seq_len}"
        config = PrepareConfig(max_seq_length=seq_len, short_seq_prob=0.1)
        prepare_pretraining(corpus, tokenizer, out, config, progress=False)
        paths[seq_len] = str(out)
    return paths


# ---------------------------------------------------------------------------------------------
# Tables


def fmt(value, digits=0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def model_table(results: list[dict]) -> str:
    head = (
        "| row | unit/s | bertkit | transformers | bertkit/transformers "
        "| peak MiB bertkit | peak MiB transformers | notes |"
    )
    lines = [head, "|" + "---|" * 8]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['row']} | | | | | | | failed: {r['error']} |")
            continue
        t, peak = r["throughput"], r.get("peak_mib", {})
        digits = 2 if r["unit"] == "MB" else 0
        notes = []
        if "max_abs_diff" in r:
            notes.append(f"max abs diff {r['max_abs_diff']:.1e}")
        if "mfu" in r:
            notes.append(f"MFU {r['mfu']['bertkit']:.0%} vs {r['mfu']['transformers']:.0%}")
        if "load_average" in r:
            notes.append(f"load {r['load_average']:.1f}")
        lines.append(
            f"| {r['row']} | {r['unit']} | {fmt(t['bertkit'], digits)} | "
            f"{fmt(t['transformers'], digits)} | **{r['speedup']:.2f}x** | "
            f"{fmt(peak.get('bertkit'))} | {fmt(peak.get('transformers'))} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def e2e_table(results: list[dict]) -> str:
    """One line per system of each end-to-end row: texts/s, ratio to the reference, GFLOP/s and
    share of the matmul peak in the system's dtype, agreement with the reference."""
    head = (
        "| row | system | texts/s | vs reference | matmul GFLOP/s | share of peak "
        "| agreement | notes |"
    )
    lines = [head, "|" + "---|" * 8]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['row']} | | | | | | | failed: {r['error']} |")
            continue
        for name, throughput in r["throughput"].items():
            dtype = r["dtype"][name]
            agree = r["agreement"].get(name)
            agreement = "reference" if name == r["reference"] else fmt(agree, 6)
            notes = f"{r['num_texts']} texts, {r['tokens']:,} tokens, {dtype}"
            if "load_average" in r:
                notes += f", load {r['load_average']:.1f}"
            lines.append(
                f"| {r['row']} | {name} | {fmt(throughput)} | **{r['vs_reference'][name]:.2f}x** "
                f"| {fmt(r['gflops'][name])} | {r['share_of_peak'][name]:.0%} of "
                f"{fmt(r['matmul_peak_gflops'][dtype])} | {agreement} | {notes} |"
            )
    return "\n".join(lines)


def write_docs(key: str, report: dict) -> None:
    """Rewrite the device's section of docs/benchmarks.md from its merged results file."""
    import re

    from bertkit.files import write_text

    begin, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    c = report["conditions"]
    rows = report["rows"]
    e2e = [r for r in rows if r["row"].startswith("e2e-")]
    model = [r for r in rows if not r["row"].startswith("e2e-")]
    section = [
        begin,
        f"## {key}: {c['device']}",
        "",
        f"torch {c['torch']}, transformers {c.get('transformers', '?')}, {c['cpu_count']} CPU "
        f"cores, {c['torch_threads']} torch threads; each row's date and load average are in "
        f"`benchmarks/results/{key}.json`. Command: `make bench` (one table) or "
        '`make bench BENCH_ARGS="--only e2e"` (the end-to-end rows alone).',
        "",
    ]
    if model:
        section += ["### bertkit vs transformers, same weights and batches", "", model_table(model)]
    if e2e:
        section += ["", "### End to end: text in, vectors or labels out", "", e2e_table(e2e)]
    section.append(end)
    header = (
        "# Benchmarks\n\nThe latest `make bench` tables for each device (written by "
        "`benchmarks/suite.py` from `benchmarks/results/<device>.json`). Model rows: throughput "
        "in real (non-padding) tokens per second, or MB of text per second for tokenization; the "
        "ratio is bertkit's throughput over transformers'. End-to-end rows: texts per second, "
        "the ratio to the reference system, and the encoder's matmul GFLOP/s as a share of the "
        "machine's measured matmul peak in the same dtype.\n"
    )
    text = DOCS.read_text("utf-8") if DOCS.exists() else header
    block = "\n".join(section)
    if begin in text:
        pattern = re.escape(begin) + ".*?" + re.escape(end)
        text = re.sub(pattern, lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_text(DOCS, text)


def merge(path: Path, results: list[dict], run_conditions: dict) -> dict:
    """The results file with `results` replacing the rows of the same name, in suite order."""
    report = json.loads(path.read_text()) if path.exists() else {"rows": []}
    by_name = {r["row"]: r for r in report.get("rows", [])}
    by_name.update({r["row"]: r for r in results})
    order = [r.name for r in ROWS] + ["tokenize-1-core", "tokenize-all-cores"]
    order += [r.name for r in DEPLOY_ROWS]
    rows = [by_name[name] for name in order if name in by_name]
    return {"device": report.get("device"), "rows": rows, "conditions": run_conditions}


# ---------------------------------------------------------------------------------------------
# The suite


def selected(names: list[str], only: str, exact: str) -> list[str]:
    if exact:
        return [n for n in names if n in exact.split(",")]
    if only:
        return [n for n in names if any(word in n for word in only.split(","))]
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="rows whose name contains any of these words")
    parser.add_argument("--rows", default="", help="comma-separated exact row names")
    parser.add_argument("--rounds", type=int, default=3, help="turns per implementation")
    parser.add_argument("--quick", action="store_true", help="fewer texts (a smoke run)")
    args = parser.parse_args()

    import transformers

    gpu = torch.cuda.is_available()
    model_rows = [r for r in ROWS if gpu or not r.gpu_only]
    # The end-to-end rows compare CPU deployments (ONNX Runtime's CPU provider, fp32).
    deploy_rows = [] if gpu else DEPLOY_ROWS
    names = [r.name for r in model_rows] + [r.name for r in deploy_rows]
    wanted = set(selected(names, args.only, args.rows))
    if not wanted:
        raise SystemExit(f"no row matches; the rows are: {', '.join(names)}")
    rows = [r for r in model_rows if r.name in wanted]
    key = device_key()
    run_conditions = conditions() | {
        "transformers": transformers.__version__,
        "rounds": args.rounds,
        "quick": args.quick,
        "selection": args.rows or args.only or "all",
    }
    results: list[dict] = []

    def save() -> None:
        """Write what is measured so far, so an interrupted run keeps its finished rows."""
        from bertkit.files import write_json

        path = RESULTS / (f"{key}-quick.json" if args.quick else f"{key}.json")
        report = merge(path, results, run_conditions) | {"device": key}
        write_json(path, report)
        if not args.quick:
            write_docs(key, report)

    common = ["--rounds", str(args.rounds)] + ["--quick"] * args.quick
    with tempfile.TemporaryDirectory() as work:
        seq_lens = {r.seq_len for r in rows if r.kind == "pretrain"}
        data = prepare_pretraining_data(Path(work), seq_lens) if seq_lens else {}
        for row in rows:
            print(f"{row.name} ...", end=" ", flush=True)
            load = os.getloadavg()[0]
            if row.kind == "tokenize":
                results += [r | {"load_average": load} for r in tokenize_rows()]
                save()
                print("done", flush=True)
                continue
            child = ["--row", row.name, *common]
            child += ["--data", data[row.seq_len]] if row.kind == "pretrain" else []
            result = run_child(child)
            if "error" not in result and not gpu:
                env = os.environ | MALLOC_RETURNS_MEMORY
                result["peak_mib"] = {
                    name: run_child([*child, "--memory", name], env).get("peak_mib")
                    for name in IMPLS
                }
            result |= {"row": row.name, "load_average": load, "date": time.strftime("%F %R")}
            results.append(result)
            save()
            shown = f"{result['speedup']:.2f}x" if "speedup" in result else result.get("error")
            print(shown, flush=True)
        for row in (r for r in deploy_rows if r.name in wanted):
            print(f"{row.name} ...", end=" ", flush=True)
            load = os.getloadavg()[0]
            result = run_child(["--row", row.name, "--work", work, *common])
            result |= {"row": row.name, "load_average": load, "date": time.strftime("%F %R")}
            results.append(result)
            save()
            if "error" in result:
                print(result["error"], flush=True)
            else:
                ratios = ", ".join(f"{k} {v:.2f}x" for k, v in result["vs_reference"].items())
                print(ratios, flush=True)
    model = [r for r in results if not r["row"].startswith("e2e-")]
    e2e = [r for r in results if r["row"].startswith("e2e-")]
    if model:
        print(model_table(model))
    if e2e:
        print(e2e_table(e2e))
    where = f"{key}-quick.json (quick run: docs unchanged)" if args.quick else f"{key}.json, {DOCS}"
    print(f"wrote {RESULTS}/{where}")


if __name__ == "__main__":
    main()
