"""`bertkit similarity --model DIR A B`: the cosine similarity of two texts' embeddings.

Prints the score (at a terminal, with the two texts). With --input FILE of "a<TAB>b" lines,
prints one score per line.
The embedding is `bertkit embed`'s (the model directory's pooling, unless --pooling says).
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "similarity", help="cosine similarity of two texts", description=__doc__
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="two texts: A B")
    add_pipeline_flags(parser, output_help="write the scores to FILE (default: stdout)")
    parser.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import print_results, render_similarity
    from bertkit.errors import BertkitError
    from bertkit.pipelines import SimilarityPipeline
    from bertkit.pipelines.textio import read_inputs, split_pairs

    if args.texts and len(args.texts) != 2:
        raise BertkitError(f"similarity takes two texts, got {len(args.texts)}")
    if args.texts:
        texts, pairs = args.texts[:1], args.texts[1:]
    else:
        texts, pairs = split_pairs(read_inputs(None, args.input), args.input)
        if pairs is None:
            raise BertkitError(f"{args.input}: expected lines of text<TAB>pair")
    similarity = SimilarityPipeline(args.model, pooling=args.pooling, **pipeline_options(args))
    scores = similarity(texts, pairs)
    print_results(args, list(zip(texts, pairs, strict=True)), scores, render_similarity)
    return 0
