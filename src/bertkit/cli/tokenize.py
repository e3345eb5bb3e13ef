"""`bertkit tokenize --model DIR [--input FILE] [TEXT ...]`: one JSON line of tokens per text.

Each line holds tokens, input_ids, token_type_ids and offsets (character spans into the text).
Texts come from the arguments, else from --input FILE (or standard input), one per line; with
--pair each text is "first<TAB>second". Nothing is truncated unless --max-length is given.
"""

import argparse
import json
import sys

BATCH = 1024  # lines encoded at a time when reading a file


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tokenize", help="tokenize text into BERT ids", description=__doc__
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to tokenize")
    parser.add_argument("--model", required=True, help="model directory or vocab.txt")
    parser.add_argument("--input", help="file with one text per line (default: standard input)")
    parser.add_argument("--pair", action="store_true", help='texts are "first<TAB>second" pairs')
    parser.add_argument("--max-length", type=int, help="truncate to this many tokens")
    parser.add_argument(
        "--truncation",
        default="longest_first",
        choices=["longest_first", "only_first", "only_second"],
        help="which text loses tokens when a pair is too long",
    )
    parser.add_argument(
        "--stride", type=int, help="print every overflowing window, overlapping by this many"
    )
    parser.set_defaults(run=run)


def _lines(args: argparse.Namespace):
    from pathlib import Path

    from bertkit.tokenizer.textfile import iter_lines

    if args.texts:
        return (("argument", i, t) for i, t in enumerate(args.texts, 1))
    if args.input:
        return ((args.input, i, t) for i, t in enumerate(iter_lines(Path(args.input)), 1))
    return (("<stdin>", i, t.rstrip("\n")) for i, t in enumerate(sys.stdin, 1))


def _batches(lines):
    from itertools import islice

    while batch := list(islice(lines, BATCH)):
        yield batch


def run(args: argparse.Namespace) -> int:
    from bertkit.errors import BertkitError
    from bertkit.tokenizer import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.from_pretrained(args.model)
    windows = args.stride is not None
    for batch in _batches(_lines(args)):
        texts, pairs = [], []
        for source, number, line in batch:
            if args.pair:
                if "\t" not in line:
                    raise BertkitError(f"{source}:{number}: expected two texts separated by a tab")
                first, second = line.split("\t", 1)
                texts.append(first)
                pairs.append(second)
            else:
                texts.append(line)
        encodings = tokenizer.encode_batch(
            texts,
            pairs if args.pair else None,
            max_length=args.max_length,
            truncation=args.truncation,
            stride=args.stride or 0,
            return_overflowing=windows,
        )
        for e in encodings:
            record = {
                "tokens": e.tokens,
                "input_ids": e.input_ids,
                "token_type_ids": e.token_type_ids,
                "offsets": e.offsets,
            }
            if windows:
                record["sample"] = batch[e.overflow_to_sample][1] - 1
            print(json.dumps(record, ensure_ascii=False))
    return 0
