"""`bertkit embed --model DIR --input FILE --output FILE.npy [--pooling P] [--normalize]`.

Writes one row per input line, in order, as a float32 (N, C) .npy array; an --output that does not
end in .npy (or none) gets one JSON list per text instead. The pooling and normalisation default
to what the model directory declares (sentence-transformers layout), else mean, not normalised.
"""

import argparse

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "embed", help="one vector per text (sentence embeddings)", description=__doc__
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to embed")
    add_pipeline_flags(
        parser, "FILE.npy for an (N, C) array, else JSON lines", has_text_output=False
    )
    parser.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    parser.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        help="L2-normalise each vector (default: as the model directory declares)",
    )
    parser.add_argument(
        "--layer", type=int, default=-1, help="hidden state to pool: -1 last, 0 embeddings"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from bertkit.pipelines import EmbedPipeline
    from bertkit.pipelines.textio import read_inputs, write_jsonl, write_npy

    embed = EmbedPipeline(
        args.model,
        pooling=args.pooling,
        normalize=args.normalize,
        layer=args.layer,
        **pipeline_options(args),
    )
    vectors = embed(read_inputs(args.texts, args.input))
    if args.output and args.output.endswith(".npy"):
        write_npy(vectors, args.output)
        print(f"wrote {vectors.shape[0]} x {vectors.shape[1]} to {args.output}", file=sys.stderr)
    else:
        write_jsonl(vectors, args.output)
    return 0
