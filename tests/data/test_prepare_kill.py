"""prepare_pretraining killed with SIGKILL at random points, again and again, in the same folder.

After each kill the folder is either complete (the kill came after index.json) or refused by the
reader with one clear line; a final rerun writes byte for byte the files of an uninterrupted run
(index.json too, except its `seconds` figure and the workers count). BERTKIT_KILLS=20 runs the
longer campaign, and BERTKIT_KILL_LOG=path.json writes its figures (docs/reliability.md).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bertkit.data.dataset import PretrainingData
from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.errors import BertkitError
from bertkit.tokenizer import WordPieceTokenizer
from tests.data.synthetic import write_corpus, write_vocab

KILLS = int(os.environ.get("BERTKIT_KILLS", "3"))
CONFIG = {"max_seq_length": 64, "docs_per_shard": 25, "eval_fraction": 0.1, "seed": 7}
# The child imports only the data package (no torch), so it starts fast.
CHILD = """
import sys
from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.tokenizer import WordPieceTokenizer
corpus, vocab, out, workers, config = sys.argv[1:6]
config = PrepareConfig(workers=int(workers), **eval(config))
prepare_pretraining([corpus], WordPieceTokenizer.from_pretrained(vocab), out, config, False)
"""


def contents(directory: Path) -> dict[str, bytes]:
    """Every file of a prepared folder; index.json without its wall-clock `seconds` and the
    number of workers it records (the shards do not depend on it)."""
    files = {p.name: p.read_bytes() for p in sorted(directory.iterdir())}
    if "index.json" in files:
        index = json.loads(files["index.json"])
        index["summary"].pop("seconds")
        index["config"].pop("workers")
        files["index.json"] = json.dumps(index).encode()
    return files


def written_since(directory: Path, started: float) -> list[Path]:
    """The shard files this run wrote (those of an earlier killed run are older)."""
    found = []
    for path in directory.glob("*.bin") if directory.exists() else []:
        try:
            if path.stat().st_mtime >= started:
                found.append(path)
        except FileNotFoundError:  # a stale shard removed as we looked
            pass
    return found


def test_killed_prepare_is_refused_then_rerun_gives_the_same_bytes(tmp_path):
    vocab = write_vocab(tmp_path / "vocab")
    corpus = write_corpus(tmp_path / "corpus.txt", num_docs=600, seed=3)
    reference = tmp_path / "reference"
    tokenizer = WordPieceTokenizer.from_pretrained(vocab)
    prepare_pretraining([corpus], tokenizer, reference, PrepareConfig(**CONFIG), progress=False)

    out, rng = tmp_path / "out", random.Random(0)
    figures = {
        "kills": 0,
        "mid_way": 0,
        "refused_clearly": 0,
        "complete": 0,
        "shard_files_at_kill": [],
    }
    for kill in range(KILLS):
        workers, started = 1 + kill % 2, time.time()
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(corpus), str(vocab), str(out), str(workers),
             repr(CONFIG)],
            start_new_session=True, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        # Kill once a random number of shard files exist (0: while starting or writing the
        # tokenizer), a random moment later: inside a shard, between shards, or at the end.
        target = rng.randrange(len(list(reference.glob("*.bin"))) + 1)
        while child.poll() is None and len(written_since(out, started)) < target:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        figures["kills"] += 1
        figures["shard_files_at_kill"].append(len(written_since(out, started)))
        if (out / "index.json").exists():
            figures["complete"] += 1
            assert contents(out) == contents(reference)
            continue
        figures["mid_way"] += 1
        if out.exists():
            with pytest.raises(BertkitError, match=r"no index\.json .*let it finish"):
                PretrainingData(out)
        figures["refused_clearly"] += 1

    prepare_pretraining([corpus], tokenizer, out, PrepareConfig(**CONFIG), progress=False)
    figures["rerun_identical"] = contents(out) == contents(reference)
    figures["files_compared"] = len(contents(reference))
    if os.environ.get("BERTKIT_KILL_LOG"):
        Path(os.environ["BERTKIT_KILL_LOG"]).write_text(json.dumps(figures, indent=1) + "\n")
    assert figures["rerun_identical"], "the rerun differs from an uninterrupted run"
    assert figures["refused_clearly"] + figures["complete"] == KILLS
