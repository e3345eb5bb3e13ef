"""`bertkit export onnx --model DIR --out OUT_DIR [--optimize] [--opset N]`.

Writes a complete model directory (model.onnx, config.json, tokenizer and pooling files) that
every pipeline command runs with ONNX Runtime, after checking it against bertkit on random
batches; prints the largest difference per output.
"""

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a model directory to another runtime (ONNX)", description=__doc__
    )
    formats = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    onnx = formats.add_parser("onnx", help="ONNX, checked in ONNX Runtime", description=__doc__)
    onnx.add_argument("--model", required=True, metavar="DIR", help="model directory to export")
    onnx.add_argument("--out", required=True, metavar="OUT_DIR", help="directory to write")
    onnx.add_argument(
        "--optimize",
        action="store_true",
        help="apply ONNX Runtime's transformer fusions (attention, LayerNorm, GELU)",
    )
    onnx.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")
    onnx.add_argument(
        "--atol", type=float, default=1e-4, help="largest logit difference allowed (1e-4)"
    )
    onnx.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from bertkit.export import export_onnx

    report = export_onnx(
        args.model, args.out, optimize=args.optimize, opset=args.opset, atol=args.atol
    )
    for p in report.parity:
        cosine = f", min cosine {p.min_cosine:.7f}" if p.min_cosine is not None else ""
        print(
            f"{p.output}: max |difference| {p.max_abs_diff:.2e}{cosine} over {p.inputs} inputs",
            file=sys.stderr,
        )
    if report.fused:
        fused = ", ".join(f"{name} x{n}" for name, n in sorted(report.fused.items()))
        print(f"fused: {fused}", file=sys.stderr)
    print(f"wrote {report.head} model to {report.out_dir}", file=sys.stderr)
    return 0
