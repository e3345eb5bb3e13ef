"""Label names: what a classifier's outputs are called ("negative"/"positive", not "0"/"1").

`--label-names negative,positive` names the integer labels 0..N-1 of a file; without it, the GLUE
files whose labels are integers get GLUE's names (SST-2: negative/positive, MRPC:
not_equivalent/equivalent, as in the GLUE paper's task descriptions and the HF `glue` dataset).
The names are stored as `id2label` in the model's config.json, where the classify pipeline reads
them; an evaluation file may then write a label either way ("1" or "positive").
"""

import logging

from bertkit.errors import BertkitError
from bertkit.tasks.classify.data import Columns

log = logging.getLogger(__name__)

# (GLUE task, the columns its files resolve to, its labels as written, their names)
GLUE_LABEL_NAMES = [
    ("SST-2", Columns("sentence", "", "label"), ["0", "1"], ["negative", "positive"]),
    (
        "MRPC",
        Columns("#1 String", "#2 String", "Quality"),
        ["0", "1"],
        ["not_equivalent", "equivalent"],
    ),
]


def name_labels(written: list[str], given: str, columns: Columns, path: str) -> list[str]:
    """The name of each label id, for the labels `written` in a file (in id order).

    Args:
        given: comma-separated names from --label-names ("" = GLUE's where known, else as written).
        columns: the columns the file was read with, which tell a GLUE file.
    """
    integers = [str(i) for i in range(len(written))]
    if given:
        names = [name.strip() for name in given.split(",")]
        if written != integers:
            raise BertkitError(
                f"{path}: --label-names names integer labels 0..N-1, but the labels are {written}"
            )
        if len(names) != len(written) or len(set(names)) != len(names) or "" in names:
            raise BertkitError(
                f"--label-names {given!r}: need {len(written)} distinct names, one per label"
            )
        return names
    for task, glue_columns, labels, names in GLUE_LABEL_NAMES:
        if columns == glue_columns and written == labels:
            log.info("%s looks like GLUE %s: labels %s are named %s (--label-names to change)",
                     path, task, "/".join(labels), "/".join(names))  # fmt: skip
            return names
    return written


def label_ids(names: list[str]) -> dict[str, int]:
    """How a label may be written in a file: its name, or its id when names replaced the
    integers (a GLUE file keeps writing "1" for "positive")."""
    ids = {name: i for i, name in enumerate(names)}
    if not any(name.lstrip("-").isdigit() for name in names):
        ids |= {str(i): i for i in range(len(names))}
    return ids
