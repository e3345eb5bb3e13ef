"""`bertkit score --model DIR --candidates FILE --references FILE [--layer L] [--idf]`: BERTScore.

Line i of the candidates is scored against line i of the references (the files must have as
many lines): greedy matching of the tokens' contextual vectors, precision, recall and F1 (Zhang
et al. 2020, as the bert-score package computes them; no baseline rescaling). At a terminal it
prints each pair's scores and the corpus means; otherwise (or with --json) one JSON line per pair,
{"precision", "recall", "f1"}, and the corpus means on standard error.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "score", help="BERTScore of candidate texts against references", description=__doc__
    )
    parser.add_argument("--candidates", required=True, metavar="FILE", help="one text per line")
    parser.add_argument("--references", required=True, metavar="FILE", help="one text per line")
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    parser.add_argument(
        "--layer",
        type=int,
        default=-1,
        help="hidden layer matched: -1 the last (default), 0 embeddings",
    )
    parser.add_argument(
        "--idf", action="store_true", help="weigh word pieces by their idf over the references"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from bertkit.cli.output import one_line, prints_text
    from bertkit.errors import BertkitError
    from bertkit.pipelines.bertscore import BertScorePipeline, corpus_score
    from bertkit.pipelines.textio import read_inputs, write_jsonl

    if args.input:
        raise BertkitError("score reads --candidates FILE and --references FILE, not --input")
    candidates = read_inputs(None, args.candidates)
    references = read_inputs(None, args.references)
    if len(candidates) != len(references):
        raise BertkitError(
            f"{args.candidates} has {len(candidates)} lines but {args.references} has "
            f"{len(references)}; line i of one is scored against line i of the other"
        )
    score = BertScorePipeline(args.model, layer=args.layer, idf=args.idf, **pipeline_options(args))
    scores = score(candidates, references)
    assert isinstance(scores, list)
    total = corpus_score(scores)
    summary = f"corpus  P {total.precision:.4f}  R {total.recall:.4f}  F1 {total.f1:.4f}"
    if not prints_text(args):
        write_jsonl(scores, args.output)
        print(f"{summary}  ({len(scores)} pairs)", file=sys.stderr)
        return 0
    print("     P       R      F1")
    for s, text in zip(scores, candidates, strict=True):
        print(f"{s.precision:6.4f}  {s.recall:6.4f}  {s.f1:6.4f}  " + one_line(text, 70))
    print(f"{summary}  ({len(scores)} pairs)")
    return 0
