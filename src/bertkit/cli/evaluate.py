"""`bertkit evaluate {classify,ner,qa} --model DIR --data FILE [--out PATH]`: score a fine-tuned
model; the metrics go to eval.json in the model directory, or to --out (a .json file or a folder).
"""

import argparse
import dataclasses
from pathlib import Path

from bertkit.cli.finetune import TASK_HELP, add_config_flags, config_classes

# Training-only fields: evaluation does not take them.
TRAIN_ONLY = {
    "train", "out", "epochs", "batch_size", "lr", "warmup_ratio", "weight_decay",
    "max_grad_norm", "seed", "max_train_examples", "evals_per_epoch", "metric", "log_every",
}  # fmt: skip


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="score a fine-tuned model on a labeled file", description=__doc__
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for name, cls in config_classes().items():
        sub = tasks.add_parser(name, help=TASK_HELP[name], description=TASK_HELP[name])
        sub.add_argument("--model", required=True, help="fine-tuned model directory")
        sub.add_argument("--data", dest="eval", required=True, help="labeled file to score")
        sub.add_argument("--out", help="where eval.json goes: a .json file or a folder")
        add_config_flags(sub, cls, skip=TRAIN_ONLY | {"model", "eval"}, renames={})
        sub.set_defaults(run=run, config_class=cls)


def run(args: argparse.Namespace) -> int:
    import json

    from bertkit.tasks.finetune import evaluate

    cls = args.config_class
    given = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)
    }
    given.pop("out", None)
    out = None
    if args.out:
        out = Path(args.out) if args.out.endswith(".json") else Path(args.out) / "eval.json"
    result = evaluate(cls(**given), out)
    print(json.dumps({k: v for k, v in result.items() if isinstance(v, float)}))
    return 0
