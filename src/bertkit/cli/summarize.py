"""`bertkit summarize --model DIR FILE [--sentences K | --ratio R]`: an extractive summary.

Splits the text of FILE ('-' = stdin) into sentences, embeds them, and keeps the K that stand
best for the whole (centrality with a redundancy penalty: `bertkit.pipelines.summarize`), in
document order. At a terminal it prints them with their character offsets; otherwise (or with
--json) one JSON line per sentence: {"text", "start", "end", "index", "score"}, where `start` and
`end` are offsets in the file's text (line endings read as "\\n") and `index` the sentence's
number in the document. A text of fewer than two sentences is an error.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "summarize", help="extractive summary: the K most central sentences", description=__doc__
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="the text to summarise")
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--sentences", type=int, help="sentences in the summary (default: 3)")
    size.add_argument("--ratio", type=float, help="the summary's share of the sentences, in (0, 1)")
    parser.add_argument(
        "--diversity",
        type=float,
        default=0.3,
        help="weight of the penalty on repeating a chosen sentence, in [0, 1] (default: 0.3)",
    )
    parser.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    parser.set_defaults(run=run)


def read_document(path: str) -> str:
    import sys
    from pathlib import Path

    from bertkit.tokenizer.textfile import iter_lines

    if path == "-":
        return sys.stdin.read()
    return "\n".join(iter_lines(Path(path)))


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import one_line, prints_text
    from bertkit.errors import BertkitError
    from bertkit.pipelines.sentences import split_sentences
    from bertkit.pipelines.summarize import SummarizePipeline, summary_size
    from bertkit.pipelines.textio import write_jsonl

    path = args.file or args.input
    if not path:
        raise BertkitError("nothing to do: give the FILE to summarise")
    if args.file and args.input:
        raise BertkitError("give FILE or --input FILE, not both")
    text = read_document(path)
    count = len(split_sentences(text))
    try:
        summary_size(count, args.sentences, args.ratio)  # before the model loads
    except BertkitError as error:
        raise BertkitError(f"{path}: {error}") from None
    summarize = SummarizePipeline(
        args.model,
        sentences=args.sentences,
        ratio=args.ratio,
        diversity=args.diversity,
        pooling=args.pooling,
        **pipeline_options(args),
    )
    chosen = summarize(text)
    if not prints_text(args):
        write_jsonl(chosen, args.output)
        return 0
    print(f"{len(chosen)} of {count} sentences")
    for s in chosen:
        where = f"  ({s.start}-{s.end})"
        print(f"  {s.index + 1:>4}  {s.score:6.3f}  " + one_line(s.text, 200) + where)
    return 0
