"""Imports point down the floors of the house (STYLE §1), read from the source with `ast`.

Floors, bottom to top: the top-level modules (`bertkit/errors.py`, `files.py`, `labels.py`,
`progress.py`, `__init__.py`) -> {tokenizer, model} -> interop -> data -> train -> tasks ->
pipelines -> applications (demo, serve, export, index, explore, ray) -> cli. A module may import its
own floor and those below. Module-level and function-level imports count alike (a function-level
import is only a delayed one), relative imports are resolved, `if TYPE_CHECKING:` imports count too.
The same imports may not form a cycle between files (`test_no_two_files_import_each_other...`).
"""

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import bertkit

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "bertkit"

BOTTOM = "(top level)"  # bertkit/errors.py, files.py, labels.py, progress.py, __init__.py
APPLICATIONS = ("demo", "serve", "export", "index", "explore", "ray")
FLOORS = [
    (BOTTOM,),
    ("tokenizer", "model"),
    ("interop",),
    ("data",),
    ("train",),
    ("tasks",),
    ("pipelines",),
    APPLICATIONS,
    ("cli",),
]
FLOOR = {part: rank for rank, parts in enumerate(FLOORS) for part in parts}
# Parts that share a floor but must not import each other.
SIBLINGS_APART = {"tokenizer", "model", *APPLICATIONS}
# `model` imports only torch; its from_pretrained/save_pretrained reach interop inside the method
# so that `BertModel.from_pretrained(path)` works as users expect.
MODEL_THIRD_PARTY = {"torch"}
MODEL_INTEROP_FUNCTIONS = {"from_pretrained", "save_pretrained"}
# The package root re-exports the public API; the model part only lazily, so that `import bertkit`
# stays free of torch.
ROOT_LAZY = {"model"}
ROOT_EAGER = {"tokenizer"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. bertkit.cli.main
    target: str  # the imported module, e.g. bertkit.errors or torch.nn
    line: int
    function: str | None  # the innermost enclosing function, None at module level
    file: str = ""  # the importing file, relative to the repository

    def where(self) -> str:
        return f"{self.file or self.module}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    """Whether `name` (bertkit.x.y) is a module or package in the source tree."""
    base = SRC.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def read_imports(path: Path) -> list[Import]:
    """Every import in a file, with `from X import Y` resolved to X.Y when Y is a module."""
    module = module_name(path)
    file = str(path.relative_to(SRC.parent))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:  # never run: as lazy as a function-level import
                visit(child, "TYPE_CHECKING")
            for child in node.orelse:
                visit(child, function)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(module, a.name, node.lineno, function, file) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                target = (
                    candidate if source.startswith("bertkit") and is_module(candidate) else source
                )
                if target == "bertkit":  # a name the root re-exports: where it is defined
                    target = getattr(getattr(bertkit, alias.name, None), "__module__", "bertkit")
                found.append(Import(module, target, node.lineno, function, file))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def part_of(name: str) -> str:
    """The floor of a module's part: bertkit.data.prepare -> data, bertkit.errors -> BOTTOM."""
    parts = name.split(".")
    if len(parts) == 1:
        return BOTTOM
    return parts[1] if parts[1] in FLOOR or (PACKAGE / parts[1]).is_dir() else BOTTOM


def all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in read_imports(path)]


def violations(imports: list[Import]) -> list[str]:
    """One line per import that breaks a rule of STYLE §1."""
    found = []
    for imp in imports:
        here = part_of(imp.module)
        top = imp.target.split(".")[0]
        if top == "benchmarks":
            found.append(f"{imp.where()}: nothing imports benchmarks")
            continue
        if here == "model" and top != "bertkit":
            if top not in MODEL_THIRD_PARTY and top not in sys.stdlib_module_names:
                found.append(f"{imp.where()}: model imports only torch")
            continue
        if top != "bertkit":
            continue
        there = part_of(imp.target)
        if here not in FLOOR or there not in FLOOR:
            found.append(f"{imp.where()}: {here if here not in FLOOR else there} has no floor")
            continue
        if imp.module == "bertkit":
            if there in ROOT_LAZY and imp.function is None:
                found.append(f"{imp.where()}: the package root imports {there} lazily only")
            elif there not in ROOT_LAZY | ROOT_EAGER | {BOTTOM}:
                found.append(f"{imp.where()}: the package root re-exports tokenizer/model only")
        elif there == "cli" and here != "cli":
            found.append(f"{imp.where()}: nothing imports cli")
        elif here == "model" and there not in ("model", BOTTOM):
            if not (there == "interop" and imp.function in MODEL_INTEROP_FUNCTIONS):
                found.append(
                    f"{imp.where()}: model imports only torch (and interop in *_pretrained)"
                )
        elif FLOOR[there] > FLOOR[here]:
            found.append(f"{imp.where()}: {here} is below {there}")
        elif here != there and {here, there} <= SIBLINGS_APART and FLOOR[here] == FLOOR[there]:
            found.append(f"{imp.where()}: {here} and {there} share a floor and stay apart")
    return found


def test_every_package_has_a_floor():
    unknown = sorted(
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists() and p.name not in FLOOR
    )
    assert not unknown, f"packages without a floor in tests/test_layers.py FLOORS: {unknown}"


def test_imports_point_down_only():
    imports = all_imports()
    assert len(imports) > 100  # the reader found the code
    problems = violations(imports)
    assert not problems, "imports against STYLE §1:\n" + "\n".join(problems)


def import_graph(imports: list[Import]) -> dict[str, set[str]]:
    """Module -> the bertkit modules it imports (a package's `__init__` is a module too)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.target.startswith("bertkit.") and imp.target != imp.module and is_module(imp.target):
            graph.setdefault(imp.module, set()).add(imp.target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path back to its first module) per group of modules that reach each other."""
    cycles, done = [], set()
    for start in sorted(graph):
        if start in done:
            continue
        path, stack = [start], [iter(sorted(graph.get(start, ())))]
        while stack:  # depth-first, without recursion: the first path found back to `start`
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                path.pop()
            elif nxt == start:
                cycles.append(path + [start])
                done.update(path)
                break
            elif nxt not in path and nxt not in done:
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return cycles


def test_no_two_files_import_each_other_even_lazily():
    """No file reaches itself through imports: module-level, function-level and
    `if TYPE_CHECKING:` imports all count (a lazy import only hides a cycle), `from X import Y`
    counts as importing module X.Y when Y is one, else X (a package's __init__.py)."""
    cycles = import_cycles(import_graph(all_imports()))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "a, b",
    [
        ("from bertkit.data.b import f", "def g():\n    from bertkit.data.a import h"),
        (
            "from bertkit.data import b",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bertkit.data.a import h",
        ),
    ],
)
def test_the_reader_catches_a_cycle_hidden_in_a_function_or_type_check(tmp_path, monkeypatch, a, b):
    folder = tmp_path / "src" / "bertkit" / "data"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "a.py").write_text(a + "\n")
    (folder / "b.py").write_text(b + "\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path / "src")
    imports = read_imports(folder / "a.py") + read_imports(folder / "b.py")
    assert import_cycles(import_graph(imports)) == [
        ["bertkit.data.a", "bertkit.data.b", "bertkit.data.a"]
    ]


@pytest.mark.parametrize(
    "source, rule",
    [
        ("from bertkit.train.loop import train", "data is below train"),
        ("from ..pipelines import pipeline", "data is below pipelines"),
        ("def f():\n    from bertkit.cli.main import main", "nothing imports cli"),
        ("import benchmarks.suite", "nothing imports benchmarks"),
    ],
)
def test_the_reader_catches_upward_imports(tmp_path, monkeypatch, source, rule):
    probe = tmp_path / "src" / "bertkit" / "data" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(source + "\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path / "src")
    imports = read_imports(probe)
    assert [p.split(": ", 1)[1] for p in violations(imports)] == [rule]


@pytest.mark.parametrize(
    "source, function, ok",
    [
        ("from bertkit.interop.checkpoint import load_model", "from_pretrained", True),
        ("from bertkit.interop.checkpoint import load_model", "forward", False),
        ("import numpy", None, False),
        ("import torch.nn.functional as F", None, True),
    ],
)
def test_model_imports_only_torch_and_interop_inside_pretrained(source, function, ok):
    tree = ast.parse(source).body[0]
    assert isinstance(tree, ast.Import | ast.ImportFrom)
    target = tree.names[0].name if isinstance(tree, ast.Import) else tree.module
    imp = Import("bertkit.model.bert", target or "", 1, function)
    assert (violations([imp]) == []) is ok


@pytest.mark.parametrize("module", ["bertkit", "bertkit.tokenizer"])
def test_importing_the_package_or_the_tokenizer_leaves_torch_out(module):
    code = f"import sys, {module}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
