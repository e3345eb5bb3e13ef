"""`bertkit prepare-pretraining --corpus FILE... --vocab-from MODEL_OR_VOCAB --out DATA_DIR`.

Text files (bert/lines/paragraphs/wikitext layout, .gz accepted) -> tokenized NSP instances in
memory-mapped shards, by `--workers` processes; prints the summary as one JSON object.
"""

import argparse

from bertkit.cli.config_flags import add_config_flags, config_from_args


def add_parser(subparsers) -> None:
    from bertkit.data.prepare import PrepareConfig

    parser = subparsers.add_parser(
        "prepare-pretraining",
        help="turn text files into pretraining shards",
        description=__doc__,
    )
    parser.add_argument("--corpus", nargs="+", required=True, help="text files (.gz accepted)")
    parser.add_argument(
        "--vocab-from",
        required=True,
        help="a model/tokenizer directory (sentence-transformers too) or a vocab.txt",
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_config_flags(parser, PrepareConfig)  # with the nested MaskingConfig's fields
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from bertkit.data.prepare import PrepareConfig, prepare_pretraining
    from bertkit.interop.checkpoint import find_model_dir
    from bertkit.tokenizer import WordPieceTokenizer

    config = config_from_args(PrepareConfig, args)
    vocab = Path(args.vocab_from)
    # A sentence-transformers directory keeps its tokenizer in the Transformer module's folder.
    tokenizer = WordPieceTokenizer.from_pretrained(
        find_model_dir(vocab) if vocab.is_dir() else vocab
    )
    summary = prepare_pretraining(
        args.corpus, tokenizer, args.out, config, progress=not args.no_progress
    )
    print(json.dumps(summary))
    return 0
