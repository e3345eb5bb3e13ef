"""`bertkit attention --model DIR "text" [--pair "text"] --html out.html`: the attention views
(head view and layer x head model view) in one self-contained HTML file; without --html, the
tokens and the shape of the attention as JSON on stdout."""

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "attention", help="attention views of a text as one HTML file", description=__doc__
    )
    parser.add_argument("text", help="the text (sentence A)")
    parser.add_argument("--model", required=True, metavar="DIR", help="model directory")
    parser.add_argument("--pair", help="sentence B")
    parser.add_argument("--html", metavar="FILE", help="write the views to FILE")
    parser.add_argument(
        "--max-tokens", type=int, default=128, help="cut longer inputs to this (default: 128)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json
    import logging

    from bertkit.errors import BertkitError
    from bertkit.explore import AttentionModel, write_attention_html

    if args.max_tokens < 3:
        raise BertkitError("--max-tokens must be at least 3")
    if args.html:
        data = write_attention_html(args.model, args.text, args.html, args.pair, args.max_tokens)
    else:
        data = AttentionModel(args.model)(args.text, args.pair, args.max_tokens, decimals=4)
    if data["truncated"]:
        logging.getLogger(__name__).warning(
            "the input has %d tokens; showing the first %d", data["num_tokens"], len(data["tokens"])
        )
    summary = {k: data[k] for k in ("tokens", "layers", "heads", "num_tokens", "truncated")}
    print(json.dumps(summary | ({"html": args.html} if args.html else {})))
    return 0
