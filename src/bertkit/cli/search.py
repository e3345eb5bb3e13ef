"""`bertkit search`: the passages closest to a query, from a corpus file or a built index.

    bertkit search --model DIR --corpus FILE [-k K] QUERY       one passage per line, scanned whole
    bertkit search --index INDEX_DIR [-k K] [--mode hybrid] QUERY     an index from `bertkit index`

With --corpus, the corpus embeddings are computed once and cached in FILE.embeddings.npz; each hit
is {"text", "score", "index", "line"}. With --index, the model is the one the index records (a
--model with another fingerprint is refused) and each hit is {"id", "score", "text", "metadata"}.
At a terminal it prints each query (QUERY arguments, or the lines of --input FILE) and its hits,
best first; otherwise (or with --json) one JSON line per query, a list of its hits.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "search", help="semantic search: top-k passages of a corpus or index", description=__doc__
    )
    parser.add_argument("queries", nargs="*", metavar="QUERY", help="what to look for")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", metavar="FILE", help="one passage per line")
    source.add_argument("--index", metavar="INDEX_DIR", help="an index built by `bertkit index`")
    parser.add_argument(
        "-k", "--top-k", dest="top_k", type=int, default=5, help="passages per query (default: 5)"
    )
    add_pipeline_flags(
        parser,
        output_help="write the JSON lines to FILE (default: stdout)",
        model_help="model directory (required with --corpus; with --index, the recorded one)",
    )
    parser.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    parser.add_argument(
        "--no-cache", dest="use_cache", action="store_false", help="do not read or write the cache"
    )
    index = parser.add_argument_group("with --index")
    index.add_argument(
        "--mode",
        choices=("dense", "bm25", "hybrid"),
        default="dense",
        help="dense vectors, BM25, or both by reciprocal-rank fusion (default: dense)",
    )
    index.add_argument(
        "--rerank-model", metavar="DIR", help="cross-encoder (one-output classifier) to rerank"
    )
    index.add_argument(
        "--rerank-depth", type=int, help="first-stage hits the cross-encoder reorders (default: k)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import print_results, render_search
    from bertkit.errors import BertkitError
    from bertkit.pipelines.textio import read_inputs

    queries = read_inputs(args.queries, args.input)
    if args.index:
        from bertkit.index import IndexSearcher

        options = pipeline_options(args)
        options.pop("max_length")  # the index records the length its passages were cut to
        searcher = IndexSearcher(
            args.index, model_dir=args.model, rerank_model=args.rerank_model, **options
        )
        hits = searcher(queries, k=args.top_k, mode=args.mode, rerank_depth=args.rerank_depth)
        print_results(args, queries, hits, render_search)
        return 0
    if args.model is None:
        raise BertkitError("search --corpus needs --model DIR")
    from bertkit.pipelines import SearchPipeline

    search = SearchPipeline(
        args.model,
        corpus=args.corpus,
        use_cache=args.use_cache,
        pooling=args.pooling,
        **pipeline_options(args),
    )
    print_results(args, queries, search(queries, k=args.top_k), render_search)
    return 0
