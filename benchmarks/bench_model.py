"""Forward, and forward + backward, of bertkit and transformers on the same weights and batch.

    python benchmarks/bench_model.py [--config base] [--batch-size 8] [--seq-len 128] [--repeats 10]

Both models load one directory saved by bertkit and use SDPA attention. Times are medians over
`--repeats` after warm-up, in one process; writes benchmarks/results/model-<device>.json.

"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

import bertkit
from bertkit.files import write_json
from bertkit.model.config import preset


def timed(fn, repeats: int, sync) -> float:
    for _ in range(2):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="base", help="preset name")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", choices=("fp32", "bf16"), default="fp32", help="bf16: autocast")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    import transformers

    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    config = preset(args.config, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        bertkit.BertForPreTraining(config).save_pretrained(tmp)
        ours = bertkit.BertForPreTraining.from_pretrained(tmp).to(device)
        theirs = transformers.BertForPreTraining.from_pretrained(tmp, attn_implementation="sdpa")
        theirs = theirs.to(device)
    ids = torch.randint(1000, config.vocab_size, (args.batch_size, args.seq_len), device=device)
    batch = {
        "input_ids": ids,
        "token_type_ids": torch.zeros_like(ids),
        "attention_mask": torch.ones_like(ids),
    }
    labels = torch.full_like(ids, -100)
    labels[:, ::7] = ids[:, ::7]  # ~15% of positions carry an MLM label
    nsp = torch.zeros(args.batch_size, dtype=torch.long, device=device)

    def forward(model):
        def run():
            with torch.inference_mode():
                model.eval()(**batch)

        return run

    def train_step(model):
        def run():
            model.train()
            out = model(**batch, labels=labels, next_sentence_label=nsp)
            out.loss.backward()
            model.zero_grad(set_to_none=True)

        return run

    cases = (
        ("forward", forward, forward),
        # With labels bertkit decodes the labelled positions only (its default); transformers
        # decodes every position.
        ("forward+backward", train_step, train_step),
    )
    rows = []
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.dtype == "bf16")
    for name, make_ours, make_theirs in cases:
        with autocast:
            t_ours = timed(make_ours(ours), args.repeats, sync)
            t_theirs = timed(make_theirs(theirs), args.repeats, sync)
        rows.append(
            {
                "case": name,
                "bertkit_ms": round(1000 * t_ours, 2),
                "transformers_ms": round(1000 * t_theirs, 2),
                "speedup": round(t_theirs / t_ours, 3),
            }
        )
    print(
        f"{args.config} BertForPreTraining, batch {args.batch_size} x {args.seq_len} tokens, "
        f"{device} {args.dtype}, torch {torch.__version__}, "
        f"transformers {transformers.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    print(f"{'case':<18} {'bertkit ms':>11} {'transformers ms':>16} {'speedup':>8}")
    for r in rows:
        print(
            f"{r['case']:<18} {r['bertkit_ms']:>11.1f} {r['transformers_ms']:>16.1f} "
            f"{r['speedup']:>7.2f}x"
        )
    result = {
        "config": args.config,
        "batch_size": args.batch_size,
        "seq_len": args.seq_len,
        "dtype": args.dtype,
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "rows": rows,
    }
    suffix = "" if args.dtype == "fp32" else f"-{args.dtype}"
    write_json(args.out / f"model-{device.type}{suffix}.json", result)


if __name__ == "__main__":
    main()
