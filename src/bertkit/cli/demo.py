"""`bertkit demo [--corpus FILE] [--minutes M] [--out DIR]`: the BERT life cycle in a few minutes.

Trains a WordPiece vocabulary on the standard library's docstrings (or FILE), prepares NSP/MLM
data, pretrains a small BERT, asks it to fill in masked words, then searches the same corpus with
all-MiniLM-L6-v2. Every step prints where its output went (default folder: runs/demo).
"""

import argparse

from bertkit.cli.config_flags import add_config_flags, config_from_args


def add_parser(subparsers) -> None:
    from bertkit.pipelines.demo import DemoConfig

    parser = subparsers.add_parser(
        "demo", help="the whole BERT life cycle in a few minutes (make demo)", description=__doc__
    )
    add_config_flags(parser, DemoConfig, skip=("fill_mask", "queries"))
    parser.add_argument(
        "--fill-mask",
        action="append",
        default=[],
        metavar="TEXT",
        help="a sentence with [MASK] to complete (repeatable; default: built-in examples)",
    )
    parser.add_argument(
        "--query",
        dest="queries",
        action="append",
        default=[],
        metavar="TEXT",
        help="a search query (repeatable; default: built-in examples)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.pipelines.demo import DemoConfig, run_demo

    run_demo(config_from_args(DemoConfig, args))
    return 0
