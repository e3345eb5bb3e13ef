"""`bertkit index {build,add,remove,info}`: a persistent vector index over passages.

    bertkit index build --model DIR --corpus FILE... --out INDEX_DIR [--kind KIND] [--bm25]
    bertkit index build --from-embeddings DIR --out INDEX_DIR --kind ivfpq [--nlist N] [--pq-m M]
    bertkit index add --index INDEX_DIR --corpus FILE...
    bertkit index remove --index INDEX_DIR --ids ID...
    bertkit index info --index INDEX_DIR

Corpus files: .txt (one passage per line, id FILE:LINE), .jsonl ({"id", "text", "metadata"}) or
.csv (a header with a text column, optionally id; other columns are metadata). Query the index
with `bertkit search --index INDEX_DIR`. --from-embeddings indexes the shards that
`bertkit embed --engine ray` wrote, streaming them, without embedding or reading texts.
"""

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "index", help="build and change a vector index of passages", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    build = actions.add_parser("build", help="embed corpus files into a new index directory")
    build.add_argument("--model", metavar="DIR", help="embedding model directory")
    build.add_argument("--corpus", nargs="+", metavar="FILE", help="passages")
    build.add_argument(
        "--from-embeddings", metavar="DIR", help="the output of `bertkit embed --engine ray`"
    )
    build.add_argument("--out", required=True, metavar="INDEX_DIR", help="a new directory")
    # Defaults live in VectorSpec (index/vectors.py); a flag left out keeps them.
    build.add_argument(
        "--kind",
        choices=("auto", "flat", "hnsw", "ivfpq"),
        help="exact (flat), approximate (hnsw; ivfpq: compressed, re-ranked exactly), or auto: "
        "flat up to --flat-max vectors, then hnsw (default: auto)",
    )
    build.add_argument("--flat-max", type=int, help="see --kind (default: 100000)")
    build.add_argument("--hnsw-m", type=int, help="HNSW neighbours per node (default: 32)")
    build.add_argument("--ef-construction", type=int, help="HNSW build candidates (default: 80)")
    build.add_argument("--ef-search", type=int, help="HNSW search candidates (default: 128)")
    build.add_argument("--nlist", type=int, help="IVF-PQ inverted lists (default: 1024)")
    build.add_argument("--pq-m", type=int, help="IVF-PQ bytes per vector (default: 48)")
    build.add_argument("--nprobe", type=int, help="IVF-PQ lists searched (default: 32)")
    build.add_argument("--rerank-depth", type=int, help="IVF-PQ exact re-rank (default: 200)")
    build.add_argument("--train-size", type=int, help="IVF-PQ training sample (default: 100000)")
    build.add_argument("--bm25", action="store_true", help="keep a BM25 index for hybrid search")
    build.add_argument("--pooling", choices=("mean", "cls", "max"), help="how tokens are pooled")
    build.add_argument("--max-length", type=int, help="tokens per passage (default: the model's)")
    _add_run_flags(build)
    build.set_defaults(run=run_build)

    add = actions.add_parser("add", help="embed and add passages (their ids must be new)")
    add.add_argument("--index", required=True, metavar="INDEX_DIR")
    add.add_argument("--corpus", required=True, nargs="+", metavar="FILE", help="new passages")
    add.add_argument("--model", metavar="DIR", help="the model (default: the recorded one)")
    _add_run_flags(add)
    add.set_defaults(run=run_add)

    remove = actions.add_parser("remove", help="remove passages by id")
    remove.add_argument("--index", required=True, metavar="INDEX_DIR")
    remove.add_argument("--ids", required=True, nargs="+", metavar="ID", help="passage ids")
    remove.set_defaults(run=run_remove)

    info = actions.add_parser("info", help="print the index manifest")
    info.add_argument("--index", required=True, metavar="INDEX_DIR")
    info.set_defaults(run=run_info)


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", help="cpu, cuda, ... (default: cuda when present)")
    parser.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16", "int8"))
    parser.add_argument("--batch-size", type=int, default=32, help="passages per forward pass")


def _run_options(args: argparse.Namespace) -> dict:
    return {"device": args.device, "dtype": args.dtype, "batch_size": args.batch_size}


def run_build(args: argparse.Namespace) -> int:
    from bertkit.errors import BertkitError
    from bertkit.index import VectorSpec, build_index

    names = ("kind", "flat_max", "hnsw_m", "ef_construction", "ef_search")
    names += ("nlist", "pq_m", "nprobe", "rerank_depth", "train_size")
    spec = VectorSpec(**{n: getattr(args, n) for n in names if getattr(args, n) is not None})
    if args.from_embeddings:
        from bertkit.index.from_embeddings import build_index_from_embeddings

        if args.corpus or args.bm25:
            raise BertkitError("--from-embeddings takes no --corpus or --bm25 (no texts)")
        _report(args.out, build_index_from_embeddings(args.from_embeddings, args.out, spec))
        return 0
    if not args.model or not args.corpus:
        raise BertkitError(
            "index build needs --model DIR and --corpus FILE... (or --from-embeddings)"
        )
    manifest = build_index(
        args.model,
        args.corpus,
        args.out,
        spec,
        use_bm25=args.bm25,
        pooling=args.pooling,
        max_length=args.max_length,
        **_run_options(args),
    )
    _report(args.out, manifest)
    return 0


def run_add(args: argparse.Namespace) -> int:
    from bertkit.index import add_to_index

    _report(args.index, add_to_index(args.index, args.corpus, args.model, **_run_options(args)))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from bertkit.index import remove_from_index

    _report(args.index, remove_from_index(args.index, args.ids))
    return 0


def run_info(args: argparse.Namespace) -> int:
    import json

    from bertkit.index.store import read_manifest

    print(json.dumps(read_manifest(args.index).__dict__, indent=2))
    return 0


def _report(directory, manifest) -> None:
    import sys

    kind = manifest.vectors["kind"]
    print(f"{directory}: {manifest.count} passages, {kind} index", file=sys.stderr)
