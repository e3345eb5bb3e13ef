"""`bertkit demo [--corpus FILE] [--out DIR]`: the BERT life cycle, and a pretrained BERT adapted
to a corpus, in a few minutes.

On the standard library's docstrings (or FILE): a tiny BERT pretrained from scratch (vocabulary,
NSP/MLM data, pretraining), all-MiniLM-L6-v2 pretrained further on the same text, both asked to
fill in masked words (judged against the word each sentence had), then semantic search over the
corpus. Every step prints where its output went (default folder: runs/demo, which the demo owns:
each run starts it over). The work is a fixed number of pretraining steps, so the answers are the
same on any machine; `--max-steps N` makes every run N steps (a quick check).
"""

import argparse

from bertkit.cli.config_flags import add_config_flags, config_from_args


def add_parser(subparsers) -> None:
    from bertkit.demo.run import DemoConfig

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
    from bertkit.demo.run import DemoConfig, run_demo

    run_demo(config_from_args(DemoConfig, args))
    return 0
