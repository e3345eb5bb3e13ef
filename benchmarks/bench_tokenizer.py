"""Tokenization throughput of bertkit and of HF's Rust tokenizer on the same real corpus.

    python benchmarks/bench_tokenizer.py [--corpus FILE ...] [--vocab DIR] [--workers N]

Default corpus: WikiText-2 raw valid + test from the shared data folder ($BERTKIT_DATA or
../shared/data), one text per line; default vocab: bert-base-uncased. Each row encodes every line
(ids, token types, attention mask; bertkit also computes offsets and word ids) and reports MB/s of
UTF-8 input, the median of --repeats runs. bertkit starts each run with a fresh tokenizer (empty
word cache). HF runs once with TOKENIZERS_PARALLELISM=false (one core) and once on all cores.
Also times one long line at three lengths to show time is linear in length.
Writes benchmarks/results/tokenizer-cpu.json.
"""

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from bertkit.files import write_json
from bertkit.tokenizer import WordPieceTokenizer

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hf_parallelism(enabled: bool) -> None:
    # Read by `tokenizers` at every batch call.
    os.environ["TOKENIZERS_PARALLELISM"] = "true" if enabled else "false"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, nargs="+", help="text files, one text per line")
    parser.add_argument("--vocab", type=Path, help="model directory or vocab.txt")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="bertkit processes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    wiki = data_dir() / "wikitext-2-raw"
    corpus = args.corpus or [wiki / "wiki.valid.raw", wiki / "wiki.test.raw"]
    vocab = args.vocab or data_dir() / "vocab/bert-base-uncased"

    import tokenizers
    import transformers

    load_before = os.getloadavg()
    lines = [line for path in corpus for line in path.read_text(encoding="utf-8").split("\n")]
    megabytes = sum(len(line.encode("utf-8")) + 1 for line in lines) / 1e6
    ours = WordPieceTokenizer.from_pretrained(vocab)
    vocab_file = vocab / "vocab.txt" if vocab.is_dir() else vocab
    hf = transformers.BertTokenizerFast(str(vocab_file), do_lower_case=ours.do_lower_case)
    rust = hf.backend_tokenizer
    assert ours.encode_batch(lines[:200])[5].input_ids == hf(lines[:200])["input_ids"][5]

    def bertkit_run(workers: int):
        fresh = WordPieceTokenizer.from_pretrained(vocab)
        return lambda: fresh.encode_batch(lines, num_workers=workers)

    cases = {}
    cases["bertkit, 1 process"] = median_seconds(lambda: bertkit_run(1)(), args.repeats)
    cases[f"bertkit, {args.workers} processes"] = median_seconds(
        lambda: bertkit_run(args.workers)(), args.repeats
    )
    for enabled, label in ((False, "1 thread"), (True, f"{os.cpu_count()} threads")):
        hf_parallelism(enabled)
        cases[f"transformers fast, {label}"] = median_seconds(lambda: hf(lines), args.repeats)
        cases[f"tokenizers direct, {label}"] = median_seconds(
            lambda: rust.encode_batch(lines), args.repeats
        )
    reference_1 = cases["transformers fast, 1 thread"]
    reference_all = cases[f"transformers fast, {os.cpu_count()} threads"]
    rows = [
        {
            "case": name,
            "seconds": round(seconds, 3),
            "mb_per_s": round(megabytes / seconds, 2),
            "vs_transformers_1_thread": round(reference_1 / seconds, 2),
            "vs_transformers_all_threads": round(reference_all / seconds, 2),
        }
        for name, seconds in cases.items()
    ]

    unit = "Tokenization of a long line, with words, punctuation; numbers 12,345 and ünïcödé. "
    long_line = []
    for n_bytes in (250_000, 500_000, 1_000_000):
        line = unit * (n_bytes // len(unit.encode("utf-8")))
        fresh = WordPieceTokenizer.from_pretrained(vocab)
        seconds = median_seconds(lambda line=line, fresh=fresh: fresh.encode(line), args.repeats)
        long_line.append({"bytes": len(line.encode("utf-8")), "seconds": round(seconds, 4)})

    print(
        f"{megabytes:.2f} MB ({len(lines)} lines) of {', '.join(p.name for p in corpus)}; "
        f"vocab {vocab_file.parent.name}; {os.cpu_count()} cores, load average "
        f"{load_before[0]:.1f}; Python {platform.python_version()}, transformers "
        f"{transformers.__version__}, tokenizers {tokenizers.__version__}"
    )
    print(f"{'case':<30} {'MB/s':>7} {'vs HF 1 thread':>15} {'vs HF all threads':>18}")
    for r in rows:
        print(
            f"{r['case']:<30} {r['mb_per_s']:>7.2f} {r['vs_transformers_1_thread']:>14.2f}x "
            f"{r['vs_transformers_all_threads']:>17.2f}x"
        )
    print("one long line: " + ", ".join(
        f"{x['bytes'] / 1e6:.2f} MB in {x['seconds']:.3f} s" for x in long_line
    ))  # fmt: skip
    result = {
        "corpus": [p.name for p in corpus],
        "megabytes": round(megabytes, 3),
        "lines": len(lines),
        "vocab": vocab_file.parent.name,
        "cores": os.cpu_count(),
        "load_average_before": round(load_before[0], 2),
        "python": platform.python_version(),
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "workers": args.workers,
        "rows": rows,
        "long_line": long_line,
    }
    write_json(args.out / "tokenizer-cpu.json", result)


if __name__ == "__main__":
    main()
