"""How the pipeline commands print: text for a person at a terminal, JSON lines for programs.

At a terminal (standard output is a tty) each input is printed, then its answers ranked with
their scores, one line each, long passages cut to the terminal's width. `--json`, a pipe or a file
get one JSON value per line (the form scripts read), and `--output FILE` always holds JSON lines.
"""

import argparse
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

Render = Callable[[object, object], Iterator[str]]  # (input, plain result) -> lines


def is_terminal() -> bool:
    return sys.stdout.isatty()


def prints_text(args: argparse.Namespace) -> bool:
    """Whether the results go to a person: stdout is a terminal, no --json, no --output file."""
    return not args.json and args.output in (None, "-") and is_terminal()


def print_results(args: argparse.Namespace, inputs: Sequence, results: Any, render: Render) -> None:
    """Each input and its rendered results at a terminal, else one JSON line per result.

    `results` is a pipeline's list, one per input (typed Any: a pipeline given one string, which
    the commands never do, returns one result instead of a list).
    """
    from bertkit.pipelines.textio import to_plain, write_jsonl

    if not prints_text(args):
        write_jsonl(results, args.output)
        return
    blocks = ["\n".join(render(i, to_plain(r))) for i, r in zip(inputs, results, strict=True)]
    print("\n\n".join(blocks))


def one_line(text: str, width: int | None = None) -> str:
    """`text` on one line (whitespace runs become one space), cut to `width` with an ellipsis."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: max(width - 1, 1)] + "…"


def _ranked(rows: list[tuple[float, str, str]]) -> Iterator[str]:
    """'   1   0.913  answer  (where)' lines: (score, answer, where), the answer cut to fit."""
    for rank, (score, answer, where) in enumerate(rows, 1):
        yield _fit(f"  {rank:>2}  {score:6.3f}  ", answer, where)


def _fit(head: str, text: str, tail: str = "") -> str:
    """head + text + tail on one line of the terminal, cutting the text only."""
    room = shutil.get_terminal_size((100, 24)).columns - len(head) - len(tail)
    return head + one_line(text, max(room, 10)) + tail


def render_fill_mask(text, masks) -> Iterator[str]:
    yield one_line(text)
    for number, predictions in enumerate(masks, 1):
        if len(masks) > 1:
            yield f"  [MASK] {number} of {len(masks)}"
        yield from _ranked([(p["score"], p["token"], "") for p in predictions])


def render_search(query, hits) -> Iterator[str]:
    """A corpus hit names its line, an index hit its id."""
    yield one_line(query)
    where = [f"  (line {h['line']})" if "line" in h else f"  (id {h['id']})" for h in hits]
    yield from _ranked([(h["score"], h["text"], w) for h, w in zip(hits, where, strict=True)])


def render_classify(text, labels) -> Iterator[str]:
    first, pair = text
    yield one_line(first) if pair is None else _fit("", first, "  |  " + one_line(pair, 40))
    labels = labels if isinstance(labels, list) else [labels]
    if not labels:  # a multi-label model: no label reached its threshold
        yield "  (no label above its threshold)"
    yield from _ranked([(label["score"], str(label["label"]), "") for label in labels])


def render_ner(text, entities) -> Iterator[str]:
    yield one_line(text)
    if not entities:
        yield "  (no entities)"
    for e in entities:
        yield _fit(
            f"  {e['type']:<6} {e['score']:6.3f}  ", e["text"], f"  ({e['start']}-{e['end']})"
        )


def render_qa(question, answer) -> Iterator[str]:
    yield one_line(question)
    if answer["text"]:
        where = f"  ({answer['start']}-{answer['end']})"
        yield from _ranked([(answer["score"], answer["text"], where)])
    else:
        yield from _ranked([(answer["score"], "(no answer)", "")])


def render_similarity(pair, score) -> Iterator[str]:
    a, b = pair
    half = (shutil.get_terminal_size((100, 24)).columns - 13) // 2
    yield f"{score:6.3f}  {one_line(a, half)}  |  {one_line(b, half)}"
