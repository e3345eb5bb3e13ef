"""Hand-written reranking rows on the tiny vocabulary of tests/tasks/conftest.py.

Invented here: a query asks about a word, the relevant passage repeats it and uses only the
"good" words, the others only the "bad" ones, so a tiny random cross-encoder learns the rule in a
few steps.
"""

import json
import random
from pathlib import Path

GOOD = ["good", "great", "nice", "fine"]
BAD = ["bad", "awful", "poor", "sad"]


def write_groups_jsonl(path: Path, rows: int = 24, negatives: int = 3, seed: int = 0) -> Path:
    """(anchor, positive, negative_1..k) rows, the layout `bertkit mine-negatives` writes."""
    rng = random.Random(seed)
    with path.open("w") as f:
        for _ in range(rows):
            word, others = rng.choice(GOOD), rng.sample(BAD, negatives)
            row = {"anchor": f"what was {word} ?", "positive": f"the movie was {word} {word}"}
            for j, other in enumerate(others, 1):
                row[f"negative_{j}"] = f"the movie was {other} {other}"
            f.write(json.dumps(row) + "\n")
    return path


def write_pairs_tsv(path: Path, queries: int = 12, seed: int = 0) -> Path:
    """(query, passage, label) rows: per query one relevant passage and two others."""
    rng = random.Random(seed)
    lines = ["query\tpassage\tlabel"]
    for _ in range(queries):
        word, others = rng.choice(GOOD), rng.sample(BAD, 2)
        lines.append(f"what was {word} ?\tthe film was {word} {word}\t1")
        lines += [f"what was {word} ?\tthe film was {o} {o}\t0" for o in others]
    path.write_text("\n".join(lines) + "\n")
    return path
