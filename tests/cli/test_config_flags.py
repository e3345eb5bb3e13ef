"""cli/config_flags.py: one rule turns every config dataclass into flags."""

import argparse
import ast
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from bertkit.cli.config_flags import add_config_flags, config_from_args, field_comments
from bertkit.cli.main import COMMANDS, build_parser


@dataclass
class Inner:
    rate: float = 0.5  # a nested rate


@dataclass
class Example:
    path: str  # no default: the command line must give it
    size: int = 3  # how many, 10% more or less
    ratio: float | None = None  # None: derived from size
    use_fast: bool = True  # the fast way
    mode: Literal["a", "b"] = "a"  # one of two
    names: list[str] = field(default_factory=lambda: ["x"])  # repeatable
    marked: str = field(
        default="", metadata={"required": True}
    )  # required by metadata, comment on a wrapped field
    plain: int = 7
    inner: Inner = field(default_factory=Inner)


def parse(argv: list[str], cls: type = Example, skip=()) -> argparse.Namespace:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_config_flags(parser, cls, skip)
    return parser.parse_args(argv)


def test_field_comments_are_the_help_including_wrapped_fields():
    comments = field_comments(Example)
    assert comments["size"] == "how many, 10% more or less"
    assert comments["marked"] == "required by metadata, comment on a wrapped field"
    assert "plain" not in comments
    parser = argparse.ArgumentParser()
    add_config_flags(parser, Example)
    text = parser.format_help()
    assert "how many, 10% more or less (default: 3)" in " ".join(text.split())


def test_defaults_come_from_the_dataclass_and_flags_override_them():
    config = config_from_args(Example, parse(["--path", "p", "--marked", "m"]))
    assert config == Example(path="p", marked="m")
    args = ["--path", "p", "--marked", "m", "--size", "5", "--ratio", "0.25", "--no-use-fast"]
    args += ["--mode", "b", "--names", "y", "--names", "z", "--rate", "0.1"]
    config = config_from_args(Example, parse(args))
    assert (config.size, config.ratio, config.use_fast, config.mode) == (5, 0.25, False, "b")
    assert config.names == ["y", "z"] and config.inner == Inner(0.1)


def test_required_flags_are_the_fields_without_default_or_marked_required(capsys):
    parser = argparse.ArgumentParser(prog="x")
    add_config_flags(parser, Example)
    with pytest.raises(SystemExit):
        parser.parse_args([])
    assert "required: --path, --marked" in capsys.readouterr().err


def test_a_choice_outside_a_literal_is_refused(capsys):
    parser = argparse.ArgumentParser(prog="x")
    add_config_flags(parser, Example)
    with pytest.raises(SystemExit):
        parser.parse_args(["--path", "p", "--marked", "m", "--mode", "c"])
    assert "invalid choice" in capsys.readouterr().err


def test_skipped_fields_keep_their_default_and_explicit_values_win():
    args = parse(["--path", "p"], skip={"marked"})
    assert not hasattr(args, "marked")
    assert config_from_args(Example, args, size=9) == Example(path="p", size=9)


def test_a_field_of_a_type_without_a_flag_form_fails_when_the_parser_is_built():
    @dataclass
    class Odd:
        table: dict[str, int] = field(default_factory=dict)

    with pytest.raises(TypeError, match="Odd.table"):
        add_config_flags(argparse.ArgumentParser(), Odd)


def _dests(parser: argparse.ArgumentParser, *path: str) -> set[str]:
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return {a.dest for a in parser._actions}


def test_every_config_field_is_a_flag_of_its_command():
    from bertkit.cli.task_configs import task_configs
    from bertkit.data.masking import MaskingConfig
    from bertkit.data.prepare import PrepareConfig
    from bertkit.train.config import TrainConfig
    from bertkit.train.pretrain import PretrainConfig

    parser = build_parser()

    def names(cls, skip=()) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)} - set(skip)

    assert names(TrainConfig, {"out_dir"}) <= _dests(parser, "pretrain")
    assert names(PretrainConfig, {"data", "model"}) <= _dests(parser, "pretrain")
    prepare = _dests(parser, "prepare-pretraining")
    assert names(PrepareConfig, {"masking_config"}) | names(MaskingConfig) <= prepare
    for task, cls in task_configs().items():
        assert names(cls) <= _dests(parser, "finetune", task)


def test_command_modules_do_not_import_each_other():
    cli = Path(__file__).resolve().parents[2] / "src" / "bertkit" / "cli"
    commands = set(COMMANDS.values())
    for path in cli.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in commands:
                pytest.fail(f"{path.name} imports the command module {node.module}")
