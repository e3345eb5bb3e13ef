"""`bertkit embed --model DIR --input FILE --output FILE.npy [--pooling P] [--normalize]`.

Writes one row per input line, in order, as a float32 (N, C) .npy array; an --output that does not
end in .npy (or none) gets one JSON list per text instead. The pooling and normalisation default
to what the model directory declares (sentence-transformers layout), else mean, not normalised.

`--tokens` gives one vector per token instead ([CLS] and [SEP] included), `--words` one per word
(the mean of its word pieces); `--layers -1,-2,-3,-4 --combine concat|sum|mean` combines hidden
layers. At a terminal each text's tokens are printed with their spans and vector norms; otherwise
(or with --json) one JSON line per text: {"tokens", "offsets", "vectors"}.

`--engine ray` embeds a corpus of many files on Ray Data (bertkit/ray/): --input is a glob
('corpus/*.jsonl', .txt or .parquet), --output a directory of Parquet shards and a manifest; a
rerun resumes. Without --address a local Ray is started on this machine.
"""

import argparse
import re

from bertkit.cli.pipeline_flags import add_pipeline_flags, pipeline_options


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "embed", help="one vector per text (sentence embeddings)", description=__doc__
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to embed")
    add_pipeline_flags(parser, "FILE.npy for an (N, C) array, else JSON lines")
    parser.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    parser.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        help="L2-normalise each vector (default: as the model directory declares)",
    )
    parser.add_argument(
        "--layer", type=int, default=-1, help="hidden state to pool: -1 last, 0 embeddings"
    )
    parser.add_argument(
        "--tokens", action="store_true", help="one vector per token, with its text and span"
    )
    parser.add_argument(
        "--words", action="store_true", help="one vector per word (the mean of its pieces)"
    )
    # `--layers -1,-2,-3,-4` as the BERT paper's recipe is written: argparse would take
    # "-1,-2" for a flag, so a comma list of integers counts as a value, as "-1" does.
    parser._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-?\d+(,-?\d+)+$")
    parser.add_argument(
        "--layers", default="-1", help="with --tokens/--words: layers to combine, e.g. -1,-2,-3,-4"
    )
    parser.add_argument(
        "--combine",
        choices=("concat", "sum", "mean"),
        default="concat",
        help="how --layers combine",
    )
    add_engine_flags(parser)
    parser.set_defaults(run=run)


def add_engine_flags(parser: argparse.ArgumentParser) -> None:
    engine = parser.add_argument_group("a corpus on Ray (--engine ray)")
    engine.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (default); ray: --input GLOB -> --output DIR of shards",
    )
    engine.add_argument("--address", help="a running Ray cluster (default: start a local Ray)")
    engine.add_argument("--actors", type=int, default=1, help="actors, one model each (default 1)")
    engine.add_argument("--cpus-per-actor", type=float, default=1.0, help="(default 1)")
    engine.add_argument("--gpus-per-actor", type=float, default=0.0, help="(default 0)")


def run(args: argparse.Namespace) -> int:
    import sys

    if args.engine == "ray":
        return run_ray(args)

    from bertkit.pipelines import EmbedPipeline
    from bertkit.pipelines.textio import read_inputs, write_jsonl, write_npy

    embed = EmbedPipeline(
        args.model,
        pooling=args.pooling,
        normalize=args.normalize,
        layer=args.layer,
        **pipeline_options(args),
    )
    texts = read_inputs(args.texts, args.input)
    if args.tokens or args.words:
        return print_token_vectors(args, embed, texts)
    vectors = embed(texts)
    if args.output and args.output.endswith(".npy"):
        write_npy(vectors, args.output)
        print(f"wrote {vectors.shape[0]} x {vectors.shape[1]} to {args.output}", file=sys.stderr)
    else:
        write_jsonl(vectors, args.output)
    return 0


def print_token_vectors(args: argparse.Namespace, embed, texts: list[str]) -> int:
    from bertkit.cli.output import print_results

    results = embed.token_vectors(texts, words=args.words, layers=args.layers, combine=args.combine)
    print_results(args, texts, [r.to_dict() for r in results], render_tokens)
    return 0


def render_tokens(text, result):
    from bertkit.cli.output import one_line

    yield one_line(text)
    for token, (start, end), vector in zip(*result.values(), strict=True):
        norm = sum(v * v for v in vector) ** 0.5
        head = " ".join(f"{v:+.3f}" for v in vector[:4])
        yield f"  {token:<16} {start:>4}-{end:<4} |v| {norm:7.3f}  [{head} ...] ({len(vector)})"


def run_ray(args: argparse.Namespace) -> int:
    import sys

    from bertkit.errors import BertkitError
    from bertkit.ray import RayEmbedConfig, embed_corpus

    if args.texts or not args.input or not args.output or args.tokens or args.words:
        raise BertkitError("--engine ray takes --input GLOB and --output DIR (no texts, --tokens)")
    config = RayEmbedConfig(
        address=args.address,
        actors=args.actors,
        cpus_per_actor=args.cpus_per_actor,
        gpus_per_actor=args.gpus_per_actor,
        batch_size=args.batch_size,
    )
    options = pipeline_options(args) | {"pooling": args.pooling, "layer": args.layer}
    options.pop("batch_size")
    report = embed_corpus(
        args.model, [args.input], args.output, config, normalize=args.normalize, **options
    )
    manifest = report.manifest
    print(
        f"wrote {manifest.rows} vectors in {len(manifest.shards)} shards to {args.output} "
        f"({report.embedded} files embedded, {report.kept} kept from before)",
        file=sys.stderr,
    )
    return 0
