"""`bertkit finetune {classify,ner,qa} --model DIR --train FILE --eval FILE --out DIR [options]`.

Flags come from the task's config dataclass (`--max-seq-length` for `max_seq_length`), with the
field's comment as help text; the command builds the config and calls `finetune`.
"""

import argparse
import dataclasses
import inspect
import re

TASK_HELP = {
    "classify": "sentence or sentence-pair classification / regression (TSV, CSV, JSONL, GLUE)",
    "ner": "named entities from CoNLL files (IOB1 or BIO)",
    "qa": "extractive question answering on SQuAD v1.1 / v2.0 JSON",
}


def config_classes() -> dict[str, type]:
    from bertkit.tasks.classify.head import ClassifyConfig
    from bertkit.tasks.ner.head import NerConfig
    from bertkit.tasks.qa.head import QaConfig

    return {"classify": ClassifyConfig, "ner": NerConfig, "qa": QaConfig}


def field_comments(cls: type) -> dict[str, str]:
    """Field name -> the comment after it in the class body (subclasses override their bases)."""
    comments: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        for match in re.finditer(
            r"^\s+(\w+): [^=\n]+=[^#\n]*#\s*(.+)$", inspect.getsource(klass), re.M
        ):
            comments[match.group(1)] = match.group(2).strip()
    return comments


def add_config_flags(
    parser: argparse.ArgumentParser, cls: type, skip: set[str], renames: dict[str, str]
) -> None:
    """One --flag per dataclass field not in `skip`, typed and defaulted from the field."""
    comments = field_comments(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        flag = "--" + renames.get(f.name, f.name).replace("_", "-")
        type_name = getattr(f.type, "__name__", str(f.type))
        if type_name == "bool":  # --flag / --no-flag
            help_text = f"{comments.get(f.name, '')} (default: {f.default})"
            parser.add_argument(
                flag,
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=f.default,
                help=help_text,
            )
            continue
        kind = {"int": int, "float": float}.get(type_name, str)
        required = f.name in ("model", "train", "eval", "out") and f.name not in renames
        parser.add_argument(
            flag,
            dest=f.name,
            type=kind,
            default=None if required else f.default,
            required=required,
            help=f"{comments.get(f.name, '')} (default: {f.default})".strip()
            if not required
            else comments.get(f.name, ""),
        )


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "finetune", help="fine-tune a pretrained model on labeled data", description=__doc__
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for name, cls in config_classes().items():
        sub = tasks.add_parser(name, help=TASK_HELP[name], description=TASK_HELP[name])
        add_config_flags(sub, cls, skip=set(), renames={})
        sub.set_defaults(run=run, config_class=cls)


def build_config(args: argparse.Namespace):
    cls = args.config_class
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def run(args: argparse.Namespace) -> int:
    import json

    from bertkit.tasks.finetune import finetune

    result = finetune(build_config(args))
    keep = ("accuracy", "f1", "mcc", "pearson", "spearman", "precision", "recall", "exact_match")
    print(json.dumps({k: result[k] for k in keep if k in result} | {"out": args.out}))
    return 0
