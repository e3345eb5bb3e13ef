"""Pretraining throughput: bertkit's BertForPreTraining against transformers', trained the same way.

    python benchmarks/bench_pretrain.py --data DATA_DIR [--config mini] [--batch-size 32]

Each model runs through the same `bertkit.train.train` loop on the same prepared batches (same
config, AdamW, clipping, dynamic masking): bertkit as constructed by default (unpadded, MLM decoded
at masked positions only) and as the padded reference (`unpad=False`), transformers with its own
(dense) head. The models take turns for `--rounds`, so load
from other processes hits each alike; tokens/s is the median over rounds of the non-pad tokens per
second of the second half of each turn (the first half is warm-up). Writes
benchmarks/results/pretrain-<device>.json with the conditions (threads, load average, versions).
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

from bertkit.data.dataset import PretrainingData
from bertkit.data.stream import ShuffledBatches
from bertkit.files import write_json
from bertkit.interop.hf import config_to_hf
from bertkit.model import BertForPreTraining
from bertkit.train import TrainConfig, train
from bertkit.train.architecture import model_config
from bertkit.train.pretrain import count_pretraining, pretraining_step


def hf_step(model, batch, totals):
    """The loss of `pretraining_step`, from transformers' outputs (it has no per-head losses)."""
    out = model(
        input_ids=batch["input_ids"],
        token_type_ids=batch["token_type_ids"],
        attention_mask=batch["attention_mask"],
    )
    selected = batch["labels"] != -100
    logits = out.prediction_logits[selected]  # (N, V) of the (B, T, V) it computed
    mlm = F.cross_entropy(logits, batch["labels"][selected], reduction="sum")
    nsp = F.cross_entropy(
        out.seq_relationship_logits, batch["next_sentence_label"], reduction="sum"
    )
    return mlm / totals["masked_tokens"] + nsp / totals["sequences"], {}


def build(name: str, config):
    torch.manual_seed(0)
    if name == "transformers":
        import transformers

        hf_config = transformers.BertConfig(**config_to_hf(config, "BertForPreTraining"))
        hf_config._attn_implementation = "sdpa"
        return transformers.BertForPreTraining(hf_config), hf_step
    return BertForPreTraining(config, unpad=name == "bertkit"), pretraining_step


def tokens_per_second(name, config, data, args, round_number: int) -> float:
    model, step = build(name, config)
    with tempfile.TemporaryDirectory() as out_dir:
        train_config = TrainConfig(
            out_dir=out_dir,
            max_steps=2 * args.steps,
            batch_size=args.batch_size,
            log_every=args.steps,
            lr=1e-4,
            device=args.device,
            precision=args.precision,
            progress=False,
            seed=round_number,
        )
        batches = ShuffledBatches(len(data), args.batch_size, data.collate, seed=round_number)
        train(model, train_config, batches, step, count=count_pretraining)
        lines = (Path(out_dir) / "metrics.jsonl").read_text().splitlines()
    return json.loads(lines[1])["tokens_per_s"]  # the second interval: after warm-up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a folder from bertkit prepare-pretraining")
    parser.add_argument("--config", default="mini", help="preset name or config.json")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per turn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="fp32", help="fp32, bf16 (autocast) or auto")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    import transformers

    data = PretrainingData(args.data, "train")
    config = model_config(args.config, len(data.tokenizer), data.max_seq_length)
    load_before = os.getloadavg()
    names = ("bertkit", "bertkit-padded", "transformers")
    runs: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(args.rounds):
        for name in names:
            runs[name].append(tokens_per_second(name, config, data, args, round_number))
            print(f"round {round_number} {name:14s} {runs[name][-1]:9.0f} tokens/s")
    median = {name: statistics.median(values) for name, values in runs.items()}
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    result = {
        "benchmark": "pretrain",
        "config": args.config,
        "batch_size": args.batch_size,
        "max_seq_length": data.max_seq_length,
        "steps_per_turn": args.steps,
        "rounds": args.rounds,
        "precision": args.precision,
        "tokens_per_s": median,
        "tokens_per_s_all_rounds": runs,
        "ratio_bertkit_vs_transformers": median["bertkit"] / median["transformers"],
        "ratio_bertkit_padded_vs_transformers": median["bertkit-padded"] / median["transformers"],
        "conditions": {
            "device": torch.cuda.get_device_name() if device == "cuda" else platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
    }
    for name in names:
        print(f"{name:14s} {median[name]:9.0f} tokens/s (median of {args.rounds})")
    print(f"bertkit / transformers: {result['ratio_bertkit_vs_transformers']:.2f}x")
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.precision == "fp32" else f"-{args.precision}"
    write_json(args.out / f"pretrain-{device}{suffix}.json", result)


if __name__ == "__main__":
    main()
