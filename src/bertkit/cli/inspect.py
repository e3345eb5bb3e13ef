"""`bertkit inspect MODEL_DIR`: architecture, parameter count, heads present, vocabulary size,
and the precision `--dtype auto` picks on this CPU."""

import argparse
import json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect", help="describe a model directory", description=__doc__
    )
    parser.add_argument("model_dir", help="a model directory (config.json + weights)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bertkit.interop.inspect import describe_model_dir
    from bertkit.model.precision import auto_precision

    info = describe_model_dir(Path(args.model_dir))
    info["auto_precision"] = auto_precision()  # what dtype "auto" computes in on this CPU
    if args.json:
        print(json.dumps(info))
        return 0
    width = max(len(key) for key in info)
    for key, value in info.items():
        if isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        elif isinstance(value, int) and not isinstance(value, bool) and key == "parameters":
            value = f"{value:,}"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        print(f"{key.replace('_', ' '):<{width}}  {value}")
    return 0
