"""The `bertkit` command: argparse subcommands, one module per command in this folder.

Each command module has `add_parser(subparsers)` that registers its flags and sets `run`, a function
of the parsed args that calls one library function. A `BertkitError` is printed as one line.
"""

import argparse
import importlib
import logging
import sys

from bertkit.errors import BertkitError, one_line

# Subcommand name -> module in bertkit.cli. Command modules import heavy packages inside `run`,
# so building the parser (and `bertkit --help`) stays fast.
COMMANDS = {
    "inspect": "bertkit.cli.inspect",
    "prepare-pretraining": "bertkit.cli.prepare_pretraining",
    "pretrain": "bertkit.cli.pretrain",
    "finetune": "bertkit.cli.finetune",
    "evaluate": "bertkit.cli.evaluate",
    "fill-mask": "bertkit.cli.fill_mask",
    "classify": "bertkit.cli.classify",
    "ner": "bertkit.cli.ner",
    "qa": "bertkit.cli.qa",
    "embed": "bertkit.cli.embed",
    "similarity": "bertkit.cli.similarity",
    "next-sentence": "bertkit.cli.next_sentence",
    "search": "bertkit.cli.search",
    "mine-negatives": "bertkit.cli.mine_negatives",
    "index": "bertkit.cli.index",
    "summarize": "bertkit.cli.summarize",
    "score": "bertkit.cli.score",
    "dedup": "bertkit.cli.dedup",
    "demo": "bertkit.cli.demo",
    "tokenize": "bertkit.cli.tokenize",
    "train-vocab": "bertkit.cli.train_vocab",
    "export": "bertkit.cli.export",
    "serve": "bertkit.cli.serve",
    "explore": "bertkit.cli.explore",
    "attention": "bertkit.cli.attention",
}


class Parser(argparse.ArgumentParser):
    """argparse, with its error line kept one line when it quotes an argument holding a line
    break (`bertkit inspect $'\\n0'`)."""

    def error(self, message: str):  # type: ignore[override]
        super().error(one_line(message))


class CommandParser(Parser):
    """A command's parser: a flag it does not know is reported with this command's own usage
    (argparse would hand it up to `bertkit`, which prints the top-level usage)."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="bertkit", description="BERT from scratch: tokenize, pretrain, fine-tune, use."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=CommandParser
    )
    for name, module_name in COMMANDS.items():
        try:
            importlib.import_module(module_name).add_parser(subparsers)
        except ImportError as error:  # training commands in an install without PyTorch
            if name not in subparsers.choices:
                add_unavailable(subparsers, name, error.name or str(error))
    return parser


def add_unavailable(subparsers, name: str, package: str) -> None:
    """A command whose package is not installed: listed, and one error line when run (the
    ONNX install, `bertkit[onnx]`, runs the pipelines without torch but cannot train)."""
    parser = subparsers.add_parser(name, help=f"(needs {package}, not installed)")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(args: argparse.Namespace) -> int:
        raise BertkitError(f"`bertkit {name}` needs {package}, which is not installed")

    parser.set_defaults(run=run)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        return args.run(args) or 0
    except BertkitError as error:
        print(f"error: {error}", file=sys.stderr)  # one line by construction
        return 2
    except (
        FileNotFoundError,
        FileExistsError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
    ) as error:  # a path of the wrong kind (a file where a folder goes, ...): one line
        print(f"error: {error.strerror}: {one_line(str(error.filename))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
