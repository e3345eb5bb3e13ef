"""`bertkit qa --model DIR --context TEXT QUESTION...`: the answer span for each question.

At a terminal it prints each question and its answer. Otherwise (or with --json) one JSON line
per question: {"text", "start", "end", "score"}, where context[start:end] is the answer. The
context may be of any length (`--context-file` reads it from a file); with --input FILE, each
line is a JSON object {"question": ..., "context": ...}.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "qa", help="answer questions from a context (extractive QA)", description=__doc__
    )
    parser.add_argument("questions", nargs="*", metavar="QUESTION", help="questions to answer")
    context = parser.add_mutually_exclusive_group()
    context.add_argument("--context", help="the text the answers come from")
    context.add_argument("--context-file", metavar="FILE", help="read the context from FILE")
    add_pipeline_flags(parser, output_help="write the JSON lines to FILE (default: stdout)")
    parser.add_argument("--stride", type=int, default=128, help="context tokens shared by windows")
    parser.add_argument("--max-answer-length", type=int, default=30, help="in tokens (default 30)")
    parser.add_argument(
        "--allow-no-answer", action="store_true", help='answer "" when no span beats [CLS] (v2.0)'
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bertkit.cli.output import print_results, render_qa
    from bertkit.pipelines import QaPipeline
    from bertkit.pipelines.textio import read_qa_inputs

    questions, contexts = read_qa_inputs(
        args.questions, args.context, args.context_file, args.input
    )
    qa = QaPipeline(
        args.model,
        stride=args.stride,
        max_answer_length=args.max_answer_length,
        allow_no_answer=args.allow_no_answer,
        **pipeline_options(args),
    )
    print_results(args, questions, qa(questions, contexts), render_qa)
    return 0
