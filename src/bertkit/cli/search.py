"""`bertkit search --model DIR --corpus FILE [-k K] QUERY`: the passages closest to a query.

The corpus has one passage per line; its embeddings are computed once and cached in
FILE.embeddings.npz (recomputed when the corpus, the model or the options change). Prints one
JSON line per query: a list of the k best {"text", "score", "index", "line"}, best first.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "search", help="semantic search: top-k passages of a corpus", description=__doc__
    )
    parser.add_argument("queries", nargs="*", metavar="QUERY", help="what to look for")
    parser.add_argument("--corpus", required=True, metavar="FILE", help="one passage per line")
    parser.add_argument("-k", type=int, default=5, help="passages per query (default: 5)")
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    parser.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    parser.add_argument(
        "--no-cache", dest="use_cache", action="store_false", help="do not read or write the cache"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.pipelines import pipeline
    from bertkit.pipelines.textio import read_inputs, write_jsonl

    search = pipeline(
        "search",
        args.model,
        corpus=args.corpus,
        use_cache=args.use_cache,
        pooling=args.pooling,
        **pipeline_options(args),
    )
    write_jsonl(search(read_inputs(args.queries, args.input), k=args.k), args.output)
    return 0
