"""`bertkit pretrain --data DATA_DIR --config PRESET_OR_JSON --out RUN_DIR`: BERT pretraining.

Every TrainConfig and PretrainConfig field is a flag, with its comment as help. Works the same under
`torchrun --nproc-per-node N -m bertkit.cli.main pretrain ...` (DistributedDataParallel).
"""

import argparse

from bertkit.cli.config_flags import add_config_flags, config_from_args


def add_parser(subparsers) -> None:
    from bertkit.train.config import TrainConfig
    from bertkit.train.pretrain import PretrainConfig

    parser = subparsers.add_parser(
        "pretrain",
        help="pretrain a BERT (MLM + NSP, MLM only, or continued from a model) on prepared data",
        description=__doc__,
    )
    parser.add_argument("--data", required=True, help="folder from bertkit prepare-pretraining")
    parser.add_argument(
        "--config",
        default="mini",
        help="a preset (tiny, mini, small, medium, base, large) or a config.json (default: mini; "
        "with --init-from, the model's own)",
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
