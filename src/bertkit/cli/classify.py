"""`bertkit classify --model DIR [--pair PAIR] TEXT...`: a label and its probability per text.

At a terminal it prints each text and its labels with their probabilities. Otherwise (or with
--json) one JSON line per text, {"label", "score"} (with -k K, a list of K of them). With
--input FILE, a line "text<TAB>pair" is a text pair.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, add_top_k_flag, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "classify", help="label texts or text pairs with a fine-tuned model", description=__doc__
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify")
    parser.add_argument("--pair", help="the second text of a pair (with a single TEXT)")
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    add_top_k_flag(parser, 1, "labels per text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import print_results, render_classify
    from bertkit.errors import BertkitError
    from bertkit.pipelines import ClassifyPipeline
    from bertkit.pipelines.textio import read_inputs, split_pairs

    if args.pair is not None and len(args.texts) != 1:
        raise BertkitError("--pair goes with exactly one TEXT")
    texts, pairs = split_pairs(read_inputs(args.texts, args.input), args.input or "input")
    if args.pair is not None:
        pairs = [args.pair]
    classify = ClassifyPipeline(args.model, **pipeline_options(args))
    results = classify(texts, pairs, top_k=args.top_k)
    inputs = list(zip(texts, pairs or [None] * len(texts), strict=True))
    print_results(args, inputs, results, render_classify)
    return 0
