"""The flags every command that starts an HTTP server shares: `serve` and `explore`."""

import argparse


def add_server_flags(parser: argparse.ArgumentParser, port: int) -> None:
    """The flags `serve` and `explore` share."""
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        metavar="DIR|NAME=DIR",
        help="a model directory; repeat as NAME=DIR to serve several (requests pick by name)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=port, help=f"port (default: {port})")
    parser.add_argument("--device", help="cpu, cuda, ... (default: cuda when present)")
    parser.add_argument("--dtype", choices=("float32", "bfloat16", "float16"))
    parser.add_argument(
        "--max-input-length", type=int, help="tokens per input (default: the model's maximum)"
    )
