"""`bertkit next-sentence --model DIR A B`: the probability that sentence B follows sentence A.

With --rank, the first TEXT is A and the others are candidate continuations, printed most likely
first. With --input FILE of "a<TAB>b" lines, one score per line. At a terminal it prints the
sentences and the probability; otherwise (or with --json) one JSON line per pair,
{"score", "is_next"}, or with --rank one JSON line, the list of {"index", "text", "score"}.
The model is a pretraining checkpoint with the next-sentence head (`bertkit pretrain`).
"""

import argparse
from collections.abc import Iterator

from bertkit.cli.pipeline_flags import add_pipeline_flags, add_top_k_flag, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "next-sentence",
        help="probability that sentence B follows sentence A (next-sentence prediction)",
        description=__doc__,
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="A B, or with --rank A B1 B2 ...")
    parser.add_argument(
        "--rank", action="store_true", help="rank TEXT 2.. as continuations of the first TEXT"
    )
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    add_top_k_flag(parser, 0, "with --rank, keep the K best (0 = all)")
    parser.set_defaults(run=run)


def render_pair(pair, result) -> Iterator[str]:
    from bertkit.cli.output import one_line

    a, b = pair
    verdict = "follows" if result["is_next"] else "does not follow"
    yield f"{result['score']:6.3f}  {verdict}"
    yield f"  A: {one_line(a)}"
    yield f"  B: {one_line(b)}"


def render_ranking(first, ranking) -> Iterator[str]:
    from bertkit.cli.output import one_line

    yield one_line(first)
    for rank, c in enumerate(ranking, 1):
        yield f"  {rank:>2}  {c['score']:6.3f}  " + one_line(c["text"]) + f"  (#{c['index'] + 1})"


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import print_results
    from bertkit.errors import BertkitError
    from bertkit.pipelines import NextSentencePipeline
    from bertkit.pipelines.textio import read_inputs, split_pairs

    if args.top_k < 0:
        raise BertkitError(f"--top-k must be 0 or more, got {args.top_k}")
    if args.rank:
        lines = read_inputs(args.texts, args.input)
        if len(lines) < 2:
            raise BertkitError("--rank needs a first sentence and at least one candidate")
        first, candidates = lines[0], lines[1:]
        pipe = NextSentencePipeline(args.model, **pipeline_options(args))
        ranking = pipe.rank(first, candidates, top_k=args.top_k or None)
        print_results(args, [first], [ranking], render_ranking)
        return 0
    if args.texts:
        if len(args.texts) != 2:
            raise BertkitError(f"next-sentence takes two texts A B, got {len(args.texts)}")
        texts, pairs = args.texts[:1], args.texts[1:]
    else:
        texts, pairs = split_pairs(read_inputs(None, args.input), args.input)
        if pairs is None:
            raise BertkitError(f"{args.input}: expected lines of first<TAB>second")
    pipe = NextSentencePipeline(args.model, **pipeline_options(args))
    results = pipe(texts, pairs)
    print_results(args, list(zip(texts, pairs, strict=True)), results, render_pair)
    return 0
