"""`bertkit dedup --model DIR --input FILE [--threshold T | --top-k K] [--clusters]`.

Finds the near-duplicates and paraphrases among the lines of FILE: every pair of lines whose
embeddings' cosine is at least T (default 0.9), or each line's K most similar others
(`bertkit.index.dedup`: exact blocks for small corpora, a FAISS index past 20,000 lines). With a
threshold, `--clusters` prints the groups the pairs link together (connected components)
instead of the pairs. At a terminal it prints them for reading; otherwise (or with --json) one
JSON line per pair, {"score", "first", "second", "first_text", "second_text"} (1-based line
numbers), or per cluster, {"lines", "texts"}. Blank lines are left out of the comparison.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "dedup", help="near-duplicate and paraphrase pairs of a corpus", description=__doc__
    )
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    query = parser.add_mutually_exclusive_group()
    query.add_argument("--threshold", type=float, help="cosine at or above which lines pair up")
    query.add_argument("-k", "--top-k", type=int, help="each line's K most similar other lines")
    parser.add_argument(
        "--clusters", action="store_true", help="print the groups of near-duplicates, not pairs"
    )
    parser.add_argument(
        "--method",
        choices=("auto", "brute", "index"),
        default="auto",
        help="exact blocks or a FAISS index (default: by corpus size)",
    )
    parser.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import one_line, prints_text
    from bertkit.errors import BertkitError
    from bertkit.index.dedup import check_query, find_duplicates
    from bertkit.pipelines import EmbedPipeline
    from bertkit.pipelines.textio import read_inputs, write_jsonl

    threshold = args.threshold if args.threshold is not None or args.top_k else 0.9
    check_query(threshold, args.top_k)
    if args.clusters and threshold is None:
        raise BertkitError("--clusters groups the pairs above a --threshold, not --top-k")
    lines = read_inputs(None, args.input)
    numbers = [n for n, line in enumerate(lines, 1) if line.strip()]
    if len(numbers) < 2:
        raise BertkitError(f"{args.input}: {len(numbers)} non-blank line(s); need two to compare")
    texts = [lines[n - 1] for n in numbers]
    embed = EmbedPipeline(args.model, pooling=args.pooling, **pipeline_options(args))
    found = find_duplicates(embed, texts, threshold, args.top_k, args.method)
    if args.clusters:
        rows = [
            {"lines": [numbers[i] for i in c], "texts": [texts[i] for i in c]}
            for c in found.clusters
        ]
    else:
        rows = [
            {
                "score": p.score,
                "first": numbers[p.first],
                "second": numbers[p.second],
                "first_text": texts[p.first],
                "second_text": texts[p.second],
            }
            for p in found.pairs
        ]
    if not prints_text(args):
        write_jsonl(rows, args.output)
        return 0
    what = "clusters" if args.clusters else "pairs"
    print(f"{len(rows)} {what} among {len(texts)} lines")
    for row in rows:
        if args.clusters:
            print(f"  lines {', '.join(map(str, row['lines']))}")
            for text in row["texts"]:
                print("    " + one_line(text, 96))
        else:
            print(f"  {row['score']:6.3f}  line {row['first']} ~ line {row['second']}")
            print("    " + one_line(row["first_text"], 96))
            print("    " + one_line(row["second_text"], 96))
    return 0
