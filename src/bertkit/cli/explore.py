"""`bertkit explore --model DIR [--corpus FILE] [--port 8000]`: the explorer page at / alone.

The page's views (attention, fill-mask, NER/QA/classification, embedding map) call the same
routes as `bertkit serve --ui`; this command is that server, with its defaults. It prints the
address and opens nothing by itself.
"""

import argparse

from bertkit.cli.server_flags import add_server_flags, run_server_from_flags


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explore", help="a browser page to look inside a model", description=__doc__
    )
    add_server_flags(parser, 8000)
    parser.add_argument(
        "--corpus", help="texts for the embedding map: one per line, or TSV text<TAB>label"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_server_from_flags(args, ui=True, corpus=args.corpus, announce=True)
