"""Where the time of `bertkit embed` goes, end to end: tokenizing, matmuls, and everything else.

    python benchmarks/profile_embed.py [--texts sst2] [--limit 1024] [--batch-size 32]
        [--dtype float32] [--compile]

Runs the embed pipeline (all-MiniLM-L6-v2, defaults) on real sentences once to warm up, then once
under `torch.profiler`, and groups the operators' self CPU time: matmuls (linear/addmm/mm/bmm),
attention (scaled_dot_product_attention), LayerNorm, GELU, element-wise adds, packing
(index_select/index_copy/nonzero/unique), pooling and copies, and the rest. The wall time outside
any operator is the Python side: tokenizing, batching, per-batch set-up. Also reports the achieved
matmul GFLOP/s against the measured matmul peak of this machine (`measure.matmul_peak`).
Writes benchmarks/results/profile-embed-<device>.json.
"""

import argparse
import os
import time
from pathlib import Path

import torch
from measure import conditions, matmul_peak, minilm_dir, texts_for, write_result

# Operator name fragments -> group (first match wins).
GROUPS = [
    ("matmul", ("addmm", "aten::mm", "bmm", "aten::linear", "matmul")),
    ("attention", ("scaled_dot_product", "flash_attention", "_efficient_attention")),
    ("layer_norm", ("layer_norm",)),
    ("gelu", ("gelu",)),
    ("packing", ("index_select", "index_copy", "nonzero", "unique", "cumsum", "index")),
    ("elementwise", ("aten::add", "aten::mul", "aten::div", "aten::sub", "aten::sum")),
    ("copies", ("copy_", "contiguous", "to", "clone", "cat", "stack", "zeros", "empty")),
]


def group_of(name: str) -> str:
    for group, fragments in GROUPS:
        if any(fragment in name for fragment in fragments):
            return group
    return "other"


def embed_flops(config, tokens: int) -> float:
    """Matmul FLOPs of the encoder on `tokens` real tokens (attention scores excluded: they are
    a few percent on sentences)."""
    h, inter, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    return 2.0 * tokens * layers * (4 * h * h + 2 * h * inter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", default="sst2", choices=("sst2", "squad"))
    parser.add_argument("--limit", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"))
    parser.add_argument(
        "--compile", action="store_true", help="torch.compile each layer's feed-forward block"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    from bertkit.pipelines import pipeline

    texts = texts_for(args.texts, args.limit)
    options = {"batch_size": args.batch_size, "dtype": args.dtype, "progress": False}
    embed = pipeline("embed", minilm_dir(), **options)
    if args.compile:
        # The feed-forward block (bias + GELU, the second matmul) is the shape-polymorphic part:
        # compiled with a dynamic token count it compiles once. Packed attention loops over the
        # batch's sequence lengths in Python, so compiling it would recompile per length set.
        for layer in embed.model.encoder.layers:
            layer.ffn.compile(dynamic=True)
    tokens = sum(len(e.input_ids) for e in embed.encode_truncated(texts))
    start = time.perf_counter()
    embed(texts)  # warm-up (and compilation)
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    embed(texts)
    wall = time.perf_counter() - start
    start = time.perf_counter()
    embed.encode_truncated(texts)
    tokenize = time.perf_counter() - start

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        embed(texts)
    groups: dict[str, float] = {}
    for event in prof.key_averages():
        group = group_of(event.key)
        groups[group] = groups.get(group, 0.0) + event.self_cpu_time_total
    profiled = sum(groups.values()) / 1e6
    dtype = torch.bfloat16 if args.dtype == "bfloat16" else torch.float32
    peak = matmul_peak(dtype)
    flops = embed_flops(embed.model.config, tokens)
    result = {
        "benchmark": "profile-embed",
        "texts": args.texts,
        "num_texts": len(texts),
        "tokens": tokens,
        "batch_size": args.batch_size,
        "dtype": args.dtype,
        "compile": args.compile,
        "first_call_s": warmup,
        "wall_s": wall,
        "texts_per_s": len(texts) / wall,
        "tokenize_s": tokenize,
        "operator_s": {k: v / 1e6 for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "operators_total_s": profiled,
        "matmul_gflops": flops / wall / 1e9,
        "matmul_peak_gflops": peak / 1e9,
        "share_of_peak": flops / wall / peak,
        "conditions": conditions(),
    }
    print(
        f"{len(texts)} {args.texts} texts, {tokens} tokens, batch {args.batch_size}, "
        f"{args.dtype}{' compiled' if args.compile else ''}: {wall:.2f} s "
        f"({len(texts) / wall:.0f} texts/s), first call {warmup:.2f} s"
    )
    print(f"  tokenize {tokenize:.3f} s; operators (self CPU time, profiled run):")
    for name, seconds in result["operator_s"].items():
        print(f"  {name:<12} {seconds:7.3f} s  {seconds / profiled:5.1%}")
    print(
        f"  matmuls: {result['matmul_gflops']:.0f} GFLOP/s end to end = "
        f"{result['share_of_peak']:.0%} of the measured {args.dtype} peak "
        f"({result['matmul_peak_gflops']:.0f} GFLOP/s); load {os.getloadavg()[0]:.2f}"
    )
    suffix = "" if args.dtype == "float32" else f"-{args.dtype}"
    suffix += "-compiled" if args.compile else ""
    write_result(args.out / f"profile-embed-cpu{suffix}.json", result)


if __name__ == "__main__":
    main()
