"""`bertkit evaluate rerank --index INDEX_DIR`: a cross-encoder reranking an index's top-k.

    bertkit evaluate rerank --model CROSS_ENCODER --data QUERIES --index INDEX_DIR
        [--mode hybrid] [--depth 20] [--sample N]

QUERIES has a query column and a `relevant` passage id (or a `positive` passage text) per row.
Prints (and writes to --out) the metrics of the first stage alone and reranked, and the time
per query of each. Without --index, `bertkit evaluate rerank` scores the rows of a groups or
labeled-pairs file (the rerank task's own evaluation).
"""

import argparse
from pathlib import Path


def add_index_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reranking an index's first stage (with --index)")
    group.add_argument("--index", metavar="INDEX_DIR", help="an index from `bertkit index build`")
    group.add_argument(
        "--mode", choices=("dense", "bm25", "hybrid"), default="hybrid",
        help="the first stage (default: hybrid)",
    )  # fmt: skip
    group.add_argument("--depth", type=int, default=20, help="candidates reranked (default: 20)")
    group.add_argument("--sample", type=int, default=0, help="score N random queries (0 = all)")
    group.add_argument("--embed-model", metavar="DIR", help="query embedder (default: recorded)")


def run_index(args: argparse.Namespace) -> int:
    import json

    from bertkit.files import write_json
    from bertkit.index.reranking import evaluate_reranking

    result = evaluate_reranking(
        args.index, args.eval, args.model, mode=args.mode, depth=args.depth,
        sample=args.sample, model_dir=args.embed_model,
        device=None if args.device == "auto" else args.device,
    )  # fmt: skip
    if args.eval_out:
        out = Path(args.eval_out)
        write_json(out if args.eval_out.endswith(".json") else out / "rerank_eval.json", result)
    print(json.dumps(result))
    return 0
