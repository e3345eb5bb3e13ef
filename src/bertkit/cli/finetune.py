"""`bertkit finetune {classify,ner,qa} --model DIR --train FILE --eval FILE --out DIR [options]`.

Flags come from the task's config dataclass (`--max-seq-length` for `max_seq_length`), with the
field's comment as help text; the command builds the config and calls `finetune`.
"""

import argparse

from bertkit.cli.config_flags import add_config_flags, config_from_args
from bertkit.cli.task_configs import TASK_HELP, task_configs


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "finetune", help="fine-tune a pretrained model on labeled data", description=__doc__
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for name, cls in task_configs().items():
        sub = tasks.add_parser(name, help=TASK_HELP[name], description=TASK_HELP[name])
        add_config_flags(sub, cls)
        sub.set_defaults(run=run, config_class=cls)


def run(args: argparse.Namespace) -> int:
    import json

    from bertkit.tasks.finetune import finetune

    result = finetune(config_from_args(args.config_class, args))
    keep = ("accuracy", "f1", "mcc", "pearson", "spearman", "precision", "recall", "exact_match")
    keep += ("f1_micro", "f1_macro", "roc_auc_mean")  # multi-label classification
    keep += ("recall@1", "mrr@10", "ndcg@10")  # reranking
    print(json.dumps({k: result[k] for k in keep if k in result} | {"out": args.out}))
    return 0
