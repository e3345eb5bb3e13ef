"""`bertkit fill-mask --model DIR [-k K] TEXT`: the top-k tokens for every [MASK].

At a terminal it prints each text and its ranked tokens. Otherwise (or with --json) a TEXT prints
one JSON line per [MASK], a list of {"token", "token_id", "score"}; with --input FILE, each input
line gives one JSON line holding one such list per [MASK].
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, add_top_k_flag, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "fill-mask", help="top-k tokens for each [MASK] in a text", description=__doc__
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="text with one or more [MASK]")
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    add_top_k_flag(parser, 5, "tokens per [MASK]")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import print_results, prints_text, render_fill_mask
    from bertkit.pipelines import FillMaskPipeline
    from bertkit.pipelines.textio import read_inputs, write_jsonl

    fill_mask = FillMaskPipeline(args.model, **pipeline_options(args))
    texts = read_inputs(args.texts, args.input)
    results = fill_mask(texts, top_k=args.top_k)
    if prints_text(args):
        print_results(args, texts, results, render_fill_mask)
        return 0
    if args.texts:  # one line per [MASK], the form scripts read
        results = [predictions for masks in results for predictions in masks]
    write_jsonl(results, args.output)
    return 0
