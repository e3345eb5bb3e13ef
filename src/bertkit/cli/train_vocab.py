"""`bertkit train-vocab --corpus FILE... --vocab-size N --out DIR [--uncased]`: learn a vocabulary.

Streams the corpus files, learns a WordPiece vocabulary (special tokens first, then the alphabet,
then merged pieces) and writes a tokenizer directory: vocab.txt, tokenizer_config.json and
special_tokens_map.json, each through a temporary file and a rename.
"""

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train-vocab", help="learn a WordPiece vocabulary", description=__doc__
    )
    parser.add_argument("--corpus", nargs="+", required=True, metavar="FILE", help="text files")
    parser.add_argument("--vocab-size", type=int, required=True, help="tokens in the vocabulary")
    parser.add_argument("--out", required=True, help="directory to write the tokenizer files to")
    parser.add_argument("--uncased", action="store_true", help="lowercase and strip accents")
    parser.add_argument(
        "--limit-alphabet", type=int, default=1000, help="most frequent characters kept"
    )
    parser.add_argument(
        "--min-frequency", type=int, default=2, help="merge only pairs seen this often"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bertkit.tokenizer import WordPieceTokenizer, train_vocab

    tokens = train_vocab(
        [Path(f) for f in args.corpus],
        args.vocab_size,
        lowercase=args.uncased,
        limit_alphabet=args.limit_alphabet,
        min_frequency=args.min_frequency,
        show_progress=not args.no_progress,
    )
    tokenizer = WordPieceTokenizer(tokens, do_lower_case=args.uncased)
    paths = tokenizer.save_pretrained(Path(args.out))
    print(f"wrote {len(tokens)} tokens to {paths[0]}")
    return 0
