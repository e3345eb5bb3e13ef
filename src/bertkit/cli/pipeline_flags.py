"""The flags every pipeline command shares: the model, where inputs come from and go, the device.

Used by `fill-mask`, `classify`, `ner`, `qa`, `embed`, `similarity` and `search`; each adds its own.
"""

import argparse


def add_pipeline_flags(
    parser: argparse.ArgumentParser,
    output_help: str,
    model_help: str | None = None,
    has_text_output: bool = True,
) -> None:
    """Add the shared flags; `model_help` makes --model optional, with that help;
    `has_text_output`: the command prints text at a terminal, JSON lines with `--json`."""
    parser.add_argument(
        "--model", required=model_help is None, metavar="DIR", help=model_help or "model directory"
    )
    parser.add_argument(
        "--input", metavar="FILE", help="read one input per line from FILE ('-' = stdin)"
    )
    parser.add_argument("--output", metavar="FILE", help=output_help)
    if has_text_output:
        parser.add_argument(
            "--json",
            action="store_true",
            help="print JSON lines at a terminal too (the form a pipe or a file always gets)",
        )
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: cuda when present)")
    parser.add_argument(
        "--dtype",
        choices=("auto", "float32", "bfloat16", "float16", "int8"),
        help="compute precision (default: auto = bfloat16 on GPU or on a CPU with hardware bf16, "
        "else float32; int8 on CPU only)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=32, help="inputs per forward pass (default: 32)"
    )
    parser.add_argument(
        "--max-length", type=int, help="tokens per model input (default: the model's maximum)"
    )
    parser.add_argument(
        "--runtime",
        choices=("torch", "onnx"),
        help="what runs the model (default: onnx for a directory with model.onnx, else torch)",
    )


def pipeline_options(args: argparse.Namespace) -> dict:
    """The `pipeline(...)` options the shared flags set."""
    return {
        "device": args.device,
        "dtype": args.dtype,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "runtime": args.runtime,
    }


def add_top_k_flag(parser: argparse.ArgumentParser, default: int, what: str) -> None:
    """`-k/--top-k`: the same flag for every command that ranks its answers."""
    parser.add_argument(
        "-k", "--top-k", type=int, default=default, help=f"{what} (default: {default})"
    )
