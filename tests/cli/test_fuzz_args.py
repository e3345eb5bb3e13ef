"""Fuzzing the command line: every command with random flags, values and files.

Whatever the arguments, `bertkit` exits with a status (argparse's usage error, one `error:` line,
or success), never a traceback. Commands that start a server (those with a `--port` flag: `demo`,
`serve`, `explore`) are left out: they would run until stopped.
"""

import argparse
import contextlib
import io
import os
import random
from collections import Counter

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bertkit.cli.main import build_parser, main
from tests.fuzzing import COUNTS, FUZZ, scratch, texts
from tests.tasks.conftest import make_tiny_model_dir, write_sentiment_tsv


def _commands() -> dict[tuple[str, ...], tuple[list[str], list[str]]]:
    """(command, task) -> its option strings and its required ones, read from the real parser."""
    found: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        is_server = prefix == ("demo",) or "--port" in parser._option_string_actions
        if not subparsers and not is_server:
            options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
            found[prefix] = (
                [a.option_strings[-1] for a in options],
                [a.option_strings[-1] for a in options if a.required],
            )
        for action in subparsers:
            for name, sub in action.choices.items():
                walk(sub, (*prefix, name))

    walk(build_parser(), ())
    return found


COMMANDS = _commands()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Paths worth passing: a model folder, a labeled file, random bytes, an empty folder."""
    root = tmp_path_factory.mktemp("cli-fuzz")
    (root / "empty").mkdir()
    (root / "random.bin").write_bytes(random.Random(0).randbytes(2048))
    return [
        str(make_tiny_model_dir(root / "model")),
        str(write_sentiment_tsv(root / "train.tsv", rows=8)),
        str(root / "random.bin"),
        str(root / "empty"),
        str(root / "missing"),
    ]


values = st.sampled_from(["0", "1", "-1", "2", "1e9", "nan", "0.5", "abc", "", "--", "-"])


@FUZZ
@given(
    command=st.sampled_from(sorted(COMMANDS)),
    with_required=st.booleans(),
    picks=st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 3), values | texts(12)), max_size=6
    ),
)
# Found by the campaign: a data file given where `index add` makes a folder (FileExistsError),
# and a path holding a line break, which split the error line in two; then argparse's own error
# quoting an unknown argument that holds a line break (`unrecognized arguments: \n0`).
@example(command=("index", "add"), with_required=True, picks=[(1, 0, "0")])
@example(command=("inspect",), with_required=False, picks=[(0, 0, "0"), (0, 1, "\n0")])
@example(command=("index", "info"), with_required=False, picks=[(0, 1, "\r")])
def test_any_arguments_end_in_an_exit_status(files, command, with_required, picks):
    options, required = COMMANDS[command]
    argv = list(command)
    if with_required:  # get past argparse more often: every required flag, each with a file
        for i, option in enumerate(required):
            argv += [option, files[(i + len(picks)) % len(files)]]
    for option, kind, value in picks:
        if options:
            argv.append(options[option % len(options)])
        # The value after a flag: a file of the fixture, a number-ish token, or any text.
        argv.append(files[option % len(files)] if kind == 0 else value)
    out = scratch("")
    cwd, stdin = os.getcwd(), os.sys.stdin
    stderr = io.StringIO()
    os.chdir(out)  # anything a command writes by a relative name lands in a scratch folder
    os.sys.stdin = io.StringIO("")
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = main(argv)
            except SystemExit as exit:  # argparse: usage errors and --help
                status = exit.code
    finally:
        os.chdir(cwd)
        os.sys.stdin = stdin
    assert status in (0, 2), f"{argv} -> {status}"
    if status == 2:
        lines = stderr.getvalue().strip().split("\n")  # a line ends at \n (what logs split on)
        assert lines and (lines[-1].startswith(("error: ", "bertkit"))), lines[-3:]
    COUNTS.setdefault("cli", Counter())["ok" if status == 0 else "error"] += 1
