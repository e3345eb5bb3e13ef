"""`bertkit evaluate {classify,ner,qa} --model DIR --data FILE [--out PATH]`: score a fine-tuned
model; the metrics go to eval.json in the model directory, or to --out (a .json file or a folder).
"""

import argparse
from pathlib import Path

from bertkit.cli.config_flags import add_config_flags, config_from_args
from bertkit.cli.evaluate_rerank import add_index_flags, run_index
from bertkit.cli.task_configs import TASK_HELP, task_configs

# Training-only fields: evaluation does not take them. `model`, `eval` and `out` have flags of
# their own here (evaluate's --out is where eval.json goes, not a model directory).
TRAIN_ONLY = {
    "train", "out", "epochs", "batch_size", "lr", "warmup_ratio", "weight_decay",
    "max_grad_norm", "seed", "max_train_examples", "evals_per_epoch", "metric", "log_every",
    "resume",
}  # fmt: skip


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="score a fine-tuned model on a labeled file", description=__doc__
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for name, cls in task_configs().items():
        sub = tasks.add_parser(name, help=TASK_HELP[name], description=TASK_HELP[name])
        sub.add_argument("--model", required=True, help="fine-tuned model directory")
        sub.add_argument("--data", dest="eval", required=True, help="labeled file to score")
        sub.add_argument(
            "--out", dest="eval_out", help="where eval.json goes: a .json file or a folder"
        )
        add_config_flags(sub, cls, skip=TRAIN_ONLY | {"model", "eval"})
        if name == "rerank":  # or rerank an index's first stage (evaluate_rerank.py)
            add_index_flags(sub)
        sub.set_defaults(run=run, config_class=cls)


def run(args: argparse.Namespace) -> int:
    import json

    from bertkit.tasks.finetune import evaluate

    if getattr(args, "index", None):
        return run_index(args)
    out = None
    if args.eval_out:
        out = Path(args.eval_out)
        out = out if args.eval_out.endswith(".json") else out / "eval.json"
    config = config_from_args(args.config_class, args)
    result = evaluate(config, out)
    print(json.dumps({k: v for k, v in result.items() if isinstance(v, float)}))
    return 0
