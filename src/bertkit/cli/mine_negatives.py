"""`bertkit mine-negatives`: hard negatives for (anchor, positive) pairs from a corpus or an index.

    bertkit mine-negatives --model DIR --corpus PASSAGES... --pairs FILE --out FILE
        [--k 5] [--range 10,50] [--method dense|bm25|hybrid] [--margin 0.05]
    bertkit mine-negatives --index INDEX_DIR --pairs FILE --out FILE ...

Candidates ranked in positions [START, END) of the anchor's search (the positive removed) become
negatives, skipping any whose cosine with the anchor is within --margin of the positive's (likely
false negatives). Writes (anchor, positive, negative_1..k) rows as JSONL, TSV or CSV (by the
suffix of --out), which `bertkit finetune embed` and `bertkit finetune rerank` read; prints a
JSON summary.
"""

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "mine-negatives", help="mine hard negatives for training pairs", description=__doc__
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", nargs="+", metavar="FILE", help="passages (.txt/.jsonl/.csv)")
    source.add_argument("--index", metavar="INDEX_DIR", help="an index from `bertkit index build`")
    parser.add_argument("--pairs", required=True, metavar="FILE", help="anchor, positive rows")
    parser.add_argument("--k", type=int, default=5, help="negatives per pair (default: 5)")
    parser.add_argument(
        "--range", default="10,50", help="candidate positions START,END taken (default: 10,50)"
    )
    parser.add_argument(
        "--method", choices=("dense", "bm25", "hybrid"), default="dense", help="(default: dense)"
    )
    parser.add_argument(
        "--margin", type=float, default=0.05,
        help="skip candidates whose cosine is above the positive's minus this (default: 0.05)",
    )  # fmt: skip
    parser.add_argument("--out", required=True, metavar="FILE", help="the rows: .jsonl/.tsv/.csv")
    parser.add_argument(
        "--model", metavar="DIR", help="embedding model (required with --corpus; with --index, "
        "the recorded one)",
    )  # fmt: skip
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: cuda when present)")
    parser.add_argument("--batch-size", type=int, default=32, help="texts per forward pass")
    parser.add_argument("--max-length", type=int, help="tokens per passage (default: the model's)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from bertkit.errors import BertkitError
    from bertkit.index.mining import MiningConfig, mine_negatives

    try:
        start, end = (int(x) for x in args.range.split(","))
    except ValueError:
        raise BertkitError(
            f"--range must be START,END (two integers), got {args.range!r}"
        ) from None
    config = MiningConfig(args.k, start, end, args.method, args.margin)
    # With --index, the index's recorded length wins (passages and queries are cut alike).
    options = {"device": args.device, "batch_size": args.batch_size, "max_length": args.max_length}
    summary = mine_negatives(
        args.pairs, args.out, config, model_dir=args.model, corpus=args.corpus,
        index=args.index, **options,
    )  # fmt: skip
    print(json.dumps(summary))
    return 0
