"""The demo's corpus: the docstrings of the installed Python standard library, or the user's text.

Every Python install carries its standard library's sources, so the demo needs no download: each
module, class and function docstring (read with `ast`, never imported) becomes a document, its
prose paragraphs split into sentences; doctest examples, option tables and other code-like lines
are dropped. Files are read in sorted order, so the corpus is the same on every run.
"""

import ast
import re
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from bertkit.data.corpus import read_documents, split_sentences
from bertkit.errors import BertkitError

# Folders of the standard library that are tests, demos or vendored code rather than the library.
SKIP_DIRS = frozenset(
    "test tests idlelib lib2to3 site-packages dist-packages __pycache__ turtledemo ensurepip "
    "venv __phello__ pydoc_data".split()
)
MIN_WORDS = 4  # a shorter paragraph ("Args:", "Deprecated.") is not prose
# A line that reads like code or a table rather than prose.
_CODE_LINE = re.compile(r"^\s*(>>>|\.\.\.|\$ |[-=*+]{3,}|[{}()\[\]]|\w+\s*=[^=]|def |class )")


@dataclass
class Document:
    name: str  # module.Class.function for a docstring; "doc N" for the user's text
    sentences: list[str]

    @property
    def passage(self) -> str:
        """A short passage for search: a docstring's name and summary line, or the first two
        sentences of a document of the user's text."""
        if self.name.startswith("doc "):
            return " ".join(self.sentences[:2])
        return f"{self.name}: {self.sentences[0]}"


def prose_paragraphs(docstring: str) -> list[str]:
    """The paragraphs of a docstring that read as prose, each joined onto one line."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", docstring):
        lines = block.splitlines()
        if not lines or any(_CODE_LINE.match(line) for line in lines):
            continue
        if any(line.startswith((" ", "\t")) for line in lines[1:]):  # indented: a list or code
            continue
        text = " ".join(line.strip() for line in lines)
        if len(text.split()) >= MIN_WORDS and sum(c.isalpha() for c in text) > 0.6 * len(text):
            paragraphs.append(text)
    return paragraphs


def module_docstrings(path: Path, module: str) -> list[Document]:
    """The documents of one source file; a file that does not parse gives none."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return []
    documents = []

    def visit(node: ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef, name: str):
        docstring = ast.get_docstring(node)
        if docstring:
            sentences = [s for p in prose_paragraphs(docstring) for s in split_sentences(p)]
            if sentences:
                documents.append(Document(name, sentences))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if not child.name.startswith("_"):
                    visit(child, f"{name}.{child.name}")

    visit(tree, module)
    return documents


def stdlib_documents(root: Path | None = None, limit: int = 0) -> list[Document]:
    """The prose docstrings of the standard library's public modules, classes and functions
    (the first `limit` of them; 0 = all)."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    files = sorted(
        path
        for path in root.rglob("*.py")
        if not SKIP_DIRS.intersection(path.relative_to(root).parts)
    )
    documents = []
    for path in files:
        parts = path.relative_to(root).with_suffix("").parts
        if any(part.startswith("_") and part != "__init__" for part in parts):
            continue  # private modules
        module = ".".join(p for p in parts if p != "__init__")
        documents += module_docstrings(path, module)
        if limit and len(documents) >= limit:
            break
    if not documents:
        raise BertkitError(
            f"no docstrings found under {root} (no standard library sources?): use --corpus FILE"
        )
    return documents[:limit] if limit else documents


def file_documents(path: Path) -> list[Document]:
    """The documents of a user's text file (any layout `prepare-pretraining` reads)."""
    documents = [Document(f"doc {i + 1}", s) for i, s in enumerate(read_documents(path))]
    if not documents:
        raise BertkitError(f"{path}: no text in this file")
    return documents


def corpus_text(documents: list[Document]) -> str:
    """Google's pretraining layout: one sentence per line, a blank line between documents."""
    return "\n\n".join("\n".join(d.sentences) for d in documents) + "\n"
