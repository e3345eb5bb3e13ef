"""`bertkit ner --model DIR TEXT...`: named entities with character offsets into each text.

At a terminal it prints each text and its entities. Otherwise (or with --json) one JSON line per
text: a list of {"text", "type", "start", "end", "score"}, where text[start:end] is the entity.
Texts of any length are read in overlapping windows.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "ner", help="named entities in texts, with character offsets", description=__doc__
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to tag")
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    parser.add_argument(
        "--stride", type=int, help="tokens shared by consecutive windows (default: 1/4 window)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import print_results, render_ner
    from bertkit.pipelines import NerPipeline
    from bertkit.pipelines.textio import read_inputs

    ner = NerPipeline(args.model, stride=args.stride, **pipeline_options(args))
    texts = read_inputs(args.texts, args.input)
    print_results(args, texts, ner(texts), render_ner)
    return 0
