"""`bertkit serve --model DIR [--model NAME=DIR ...] [--port 8080] [--ui]`: the HTTP server.

Routes: /embed, /v1/embeddings, /predict, /rerank, /ner, /qa, /fill-mask, /tokenize, /health,
/info, /metrics; the model directory decides which work. `--ui` adds the page at / (as
`bertkit explore`); `--index INDEX_DIR` adds POST /search over an index (`bertkit index`).
Needs the `serve` extra (fastapi, uvicorn).
"""

import argparse

from bertkit.cli.server_flags import add_server_flags, run_server_from_flags


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="HTTP inference server with dynamic batching", description=__doc__
    )
    add_server_flags(parser, 8080)
    parser.add_argument(
        "--max-batch-tokens",
        type=int,
        default=16384,
        help="tokens per forward pass: real ones when the model unpads (bertkit's default), "
        "else padded (default: 16384)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="model threads, each with its own copy of the models and an equal share of "
        "torch's threads (default: 1, which uses every core for each batch)",
    )
    parser.add_argument(
        "--max-concurrent-requests",
        type=int,
        default=512,
        help="requests in flight before answering 429 (default: 512)",
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=2_000_000, help="largest request body (default: 2 MB)"
    )
    parser.add_argument("--ui", action="store_true", help="also serve the explorer page at /")
    parser.add_argument("--corpus", help="with --ui: a text or TSV file for the embedding map")
    parser.add_argument(
        "--index", metavar="INDEX_DIR", help="also answer POST /search from this `bertkit index`"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return run_server_from_flags(
        args,
        ui=args.ui,
        corpus=args.corpus,
        index=args.index,
        max_batch_tokens=args.max_batch_tokens,
        max_concurrent_requests=args.max_concurrent_requests,
        max_body_bytes=args.max_body_bytes,
        workers=args.workers,
    )
