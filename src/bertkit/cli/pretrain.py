"""`bertkit pretrain --data DATA_DIR --config PRESET_OR_JSON --out RUN_DIR`: MLM + NSP pretraining.

Every TrainConfig and PretrainConfig field is a flag, with its comment as help. Works the same under
`torchrun --nproc-per-node N -m bertkit.cli.main pretrain ...` (DistributedDataParallel).
"""

import argparse
import inspect
import re
import types
import typing
from dataclasses import MISSING, fields


def field_comments(cls) -> dict[str, str]:
    """The `# comment` written after each field of a dataclass, used as its flag's help."""
    comments = {}
    for line in inspect.getsource(cls).splitlines():
        match = re.match(r"\s+(\w+): [^#]*#\s*(.*)$", line)
        if match:
            comments[match.group(1)] = match.group(2)
    return comments


def add_config_flags(parser: argparse.ArgumentParser, cls, skip: tuple[str, ...] = ()) -> None:
    """A --flag per field of dataclass `cls` (bools: --flag/--no-flag), defaults from the class."""
    comments = field_comments(cls)
    group = parser.add_argument_group(cls.__name__)
    for f in fields(cls):
        if f.name in skip:
            continue
        kind = f.type
        is_optional = typing.get_origin(kind) in (typing.Union, types.UnionType)
        if is_optional:
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        default = f.default if f.default is not MISSING else None
        options = {"default": default, "help": f"{comments.get(f.name, '')} (default: {default})"}
        flag = "--" + f.name.replace("_", "-")
        if kind is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **options)
        else:
            group.add_argument(
                flag, type=kind, dest=f.name, metavar=kind.__name__.upper(), **options
            )


def config_from_args(cls, args: argparse.Namespace, **explicit):
    """Build `cls` from the parsed flags of its fields, plus the `explicit` values."""
    values = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
    return cls(**{**values, **explicit})


def add_parser(subparsers) -> None:
    from bertkit.train.config import TrainConfig
    from bertkit.train.pretrain import PretrainConfig

    parser = subparsers.add_parser(
        "pretrain",
        help="pretrain a BERT (MLM + NSP) on prepared data",
        description=__doc__.split("\n")[0],
    )
    parser.add_argument("--data", required=True, help="folder from bertkit prepare-pretraining")
    parser.add_argument(
        "--config",
        required=True,
        help="a preset (tiny, mini, small, medium, base, large) or a config.json",
    )
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument(
        "--resume", action="store_true", help="continue from the newest checkpoint in --out"
    )
    add_config_flags(parser, TrainConfig, skip=("out_dir",))
    add_config_flags(parser, PretrainConfig, skip=("data", "model"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from bertkit.train.config import TrainConfig
    from bertkit.train.dist import print0
    from bertkit.train.pretrain import PretrainConfig, pretrain

    train_config = config_from_args(TrainConfig, args, out_dir=args.out)
    config = config_from_args(PretrainConfig, args, data=args.data, model=args.config)
    result = pretrain(config, train_config, resume=args.resume)
    print0(json.dumps({"step": result.step, "train": result.train, "eval": result.eval}))
    return 0
