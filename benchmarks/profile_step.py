"""Where a training step's time goes: attention, matmuls, optimizer, data loading, the rest.

    python benchmarks/profile_step.py --data DATA_DIR [--config mini] [--batch-size 32] [--steps 5]

Runs bertkit pretraining steps (MLM + NSP, sparse MLM decoding, fused AdamW, the same loop pieces
as `bertkit pretrain`) under the PyTorch profiler and sums the self time of every operator into a
few groups; the data loader (instance -> dynamic masks -> padded tensors) is timed on its own.
With `--transformers` the same steps run on `transformers.BertForPreTraining` for comparison.
Writes benchmarks/results/profile-<device>.json.
"""

import argparse
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from bertkit.data.dataset import PretrainingData
from bertkit.files import write_json
from bertkit.model import BertForPreTraining
from bertkit.train.architecture import model_config

# Operator name fragments -> group, first match wins (names as the profiler reports them).
GROUPS = [
    ("loss", ("cross_entropy", "nll_loss", "log_softmax")),
    ("attention", ("scaled_dot_product", "flash_attention", "_efficient_attention", "softmax")),
    ("optimizer", ("adam", "_foreach", "linalg_vector_norm", "clip_grad")),
    ("matmul", ("addmm", "aten::mm", "bmm", "matmul", "aten::linear")),
    ("embedding", ("embedding",)),
    ("layernorm", ("layer_norm",)),
    ("activation", ("gelu", "tanh")),
    ("copies and indexing", ("index", "copy_", "gather", "scatter", "cat", "nonzero", "masked")),
]


def group_of(name: str) -> str:
    lowered = name.lower()
    for group, fragments in GROUPS:
        if any(f in lowered for f in fragments):
            return group
    return "other elementwise"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a folder from bertkit prepare-pretraining")
    parser.add_argument("--config", default="mini")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--transformers", action="store_true", help="profile transformers too")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    data = PretrainingData(args.data, "train")
    config = model_config(args.config, len(data.tokenizer), data.max_seq_length)
    torch.manual_seed(0)
    models = {"bertkit": BertForPreTraining(config)}  # defaults: unpadded, masked-only decoding
    if args.transformers:
        import transformers

        with tempfile.TemporaryDirectory() as tmp:
            models["bertkit"].save_pretrained(tmp)
            models["transformers"] = transformers.BertForPreTraining.from_pretrained(
                tmp, attn_implementation="sdpa"
            )

    start = time.perf_counter()
    batches = [
        data.collate(range(i * args.batch_size, (i + 1) * args.batch_size), epoch=0)
        for i in range(args.steps + 1)  # the first is warm-up
    ]
    loader_s = (time.perf_counter() - start) / len(batches)

    report: dict = {
        "config": args.config,
        "batch_size": args.batch_size,
        "seq_len": data.max_seq_length,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "data_loader_ms_per_batch": 1000 * loader_s,
        "implementations": {},
    }
    for name, model in models.items():
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)

        def step(batch, model=model, optimizer=optimizer):
            model(**batch).loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        step(batches[0])  # warm-up
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            wall = time.perf_counter()
            for batch in batches[1:]:
                step(batch)
            wall = time.perf_counter() - wall
        groups: dict[str, float] = defaultdict(float)
        other: dict[str, float] = defaultdict(float)
        for event in prof.key_averages():
            group = group_of(event.key)
            groups[group] += event.self_cpu_time_total / 1000  # ms
            if group == "other elementwise":
                other[event.key] += event.self_cpu_time_total / 1000 / args.steps
        profiled = sum(groups.values())
        per_step = {g: ms / args.steps for g, ms in sorted(groups.items(), key=lambda kv: -kv[1])}
        report["implementations"][name] = {
            "step_ms": 1000 * wall / args.steps,
            "ms_per_step_by_group": per_step,
            "share_by_group": {g: ms / profiled for g, ms in groups.items()},
            "top_other_ms_per_step": dict(sorted(other.items(), key=lambda kv: -kv[1])[:6]),
        }
        print(f"{name}: {1000 * wall / args.steps:.0f} ms per step (profiler on)")
        for group, ms in per_step.items():
            print(f"  {group:22s} {ms:8.1f} ms  {ms * args.steps / profiled:6.1%}")
        top = report["implementations"][name]["top_other_ms_per_step"]
        print("  other, largest: " + ", ".join(f"{k} {v:.0f} ms" for k, v in top.items()))
    print(f"data loader: {1000 * loader_s:.1f} ms per batch (in the loop's process)")
    report["cpu_count"] = os.cpu_count()
    write_json(args.out / "profile-cpu.json", report)


if __name__ == "__main__":
    main()
