"""Config dataclasses -> argparse flags, one rule for every command (STYLE §4).

Each field becomes `--field-name`, typed from its annotation, with the comment written after the
field as its help. `bool` fields give `--x/--no-x`; `T | None` takes a T and defaults to None;
`list[T]` is repeatable (`--x A --x B`); a `Literal[...]` gives choices; a nested dataclass
adds its own fields' flags. The dataclass decides what is
required: a field without a default, or one marked `field(metadata={"required": True})` (for a
config that other code builds in parts). A field of a type this module cannot parse raises when
the parser is built, so a new config field can never be silently missing from the command line.
"""

import argparse
import ast
import dataclasses
import inspect
import io
import textwrap
import tokenize
import types
import typing
from collections.abc import Iterable


def field_comments(cls: type) -> dict[str, str]:
    """Field name -> the `# comment` written on the field's lines (a subclass overrides a base)."""
    comments: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if dataclasses.is_dataclass(klass):
            comments.update(_class_comments(klass))
    return comments


def _class_comments(klass: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):  # defined where no source is kept (a REPL, make_dataclass)
        return {}
    by_line: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            by_line[token.start[0]] = token.string.lstrip("#").strip()
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    comments = {}
    for node in body.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            text = " ".join(by_line[n] for n in lines if n in by_line)
            if text:
                comments[node.target.id] = text
    return comments


def is_required(f: dataclasses.Field) -> bool:
    """A field the command line must give: no default, or marked required in its metadata."""
    has_default = f.default is not dataclasses.MISSING or (
        f.default_factory is not dataclasses.MISSING
    )
    return not has_default or bool(f.metadata.get("required"))


def _default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _flag_options(cls: type, f: dataclasses.Field, kind) -> dict:
    """argparse options for a field of (resolved) type `kind`."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"{cls.__name__}.{f.name}: cannot make a flag of {kind}")
        return _flag_options(cls, f, rest[0])
    if kind is bool:
        return {"action": argparse.BooleanOptionalAction}
    if origin is typing.Literal:
        return {"type": type(args[0]), "choices": args}
    if origin is list or kind is list:
        item = args[0] if args else str
        if item not in (int, float, str):
            raise TypeError(f"{cls.__name__}.{f.name}: cannot make a flag of {kind}")
        # default None, not the field's list: argparse would append to it; see config_from_args
        return {"type": item, "action": "append", "metavar": item.__name__.upper()}
    if kind in (int, float, str) or (isinstance(kind, type) and kind.__module__ == "pathlib"):
        return {"type": kind, "metavar": kind.__name__.upper()}
    raise TypeError(f"{cls.__name__}.{f.name}: cannot make a flag of {kind}")


def add_config_flags(
    parser: argparse.ArgumentParser, cls: type, skip: Iterable[str] = ()
) -> argparse._ArgumentGroup:
    """Add a --flag for every field of dataclass `cls` not in `skip`, in a group named after it."""
    skip = set(skip)
    comments = field_comments(cls)
    hints = typing.get_type_hints(cls)
    group = parser.add_argument_group(cls.__name__)
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        kind = hints.get(f.name, f.type)
        if dataclasses.is_dataclass(kind):
            add_config_flags(parser, kind, skip)  # type: ignore[arg-type]
            continue
        options = _flag_options(cls, f, kind)
        help_text = comments.get(f.name, "")
        if is_required(f):
            options["required"] = True
        else:
            default = _default(f)
            options["default"] = None if options.get("action") == "append" else default
            shown = "none" if default is None or default == [] else default
            help_text = f"{help_text} (default: {shown})".strip()
        # argparse expands "%" in help: a comment such as "10% warmup" must stay literal.
        options["help"] = help_text.replace("%", "%%")
        group.add_argument("--" + f.name.replace("_", "-"), dest=f.name, **options)
    return group


def config_from_args(cls: type, args: argparse.Namespace, **explicit):
    """Build `cls` from the parsed values of its flags, plus `explicit` values for the others.

    A nested dataclass field is built from its own flags; a flag left at None for a field that
    does not take None (a repeatable flag never given) leaves the field's default.
    """
    hints = typing.get_type_hints(cls)
    given = {}
    for f in dataclasses.fields(cls):
        kind = hints.get(f.name, f.type)
        if f.name in explicit or not f.init:
            continue
        if dataclasses.is_dataclass(kind):
            given[f.name] = config_from_args(kind, args)  # type: ignore[arg-type]
        elif hasattr(args, f.name):
            value = getattr(args, f.name)
            if value is not None or _takes_none(kind) or is_required(f):
                given[f.name] = value
    return cls(**given, **explicit)


def _takes_none(kind) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(kind)
    )
