"""`bertkit finetune embed` under torchrun: two Gloo processes of 4 rows each end with the
weights and losses of one process with the global batch of 8, because the in-batch negatives
(plain and cached) are gathered across the processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from bertkit import BertModel
from bertkit.tasks.embed.task import EmbedConfig
from bertkit.tasks.finetune import finetune
from bertkit.tokenizer import WordPieceTokenizer
from tests.model.tiny import tiny_config
from tests.tasks.conftest import VOCAB
from tests.train.test_ddp import free_port

NAMES, VERBS, PLACES = ("john", "mary", "smith", "jones"), ("lives", "works"), ("paris", "london")


def write_unique_pairs(path: Path) -> Path:
    """32 rows with no text in two rows: every NO_DUPLICATES batch is full (8 rows) in both runs."""
    rows = []
    for name in NAMES:
        for verb in VERBS:
            for place in PLACES:
                for form in ("{n} {v} ?", "who {v} {n}"):
                    anchor = form.format(n=name, v=verb) + f" {place}"
                    rows.append({"anchor": anchor, "positive": f"{name} {verb} in {place} ."})
    for number, row in enumerate(rows):  # one positive per row
        row["positive"] += " ." * (number % 2) + f" {number % 3 + 1}"
    assert len({r["positive"] for r in rows}) == len(rows) == 32
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def no_dropout_model(tmp_path_factory) -> Path:
    """Dropout off, so one process and two draw the same forward passes."""
    path = tmp_path_factory.mktemp("no-dropout")
    torch.manual_seed(0)
    config = tiny_config(
        vocab_size=len(VOCAB), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
    )
    BertModel(config).save_pretrained(path)
    WordPieceTokenizer(VOCAB).save_pretrained(path)
    return path


def _losses(out: Path) -> list[float]:
    lines = (out / "train" / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


@pytest.mark.parametrize("loss", ["mnrl", "cached_mnrl"])
def test_two_processes_equal_one_with_the_global_batch(no_dropout_model, tmp_path, loss):
    pairs = write_unique_pairs(tmp_path / "pairs.jsonl")
    common = dict(model=str(no_dropout_model), train=str(pairs), loss=loss, epochs=2, lr=1e-3)
    common |= dict(max_seq_length=16, log_every=1, seed=5, warmup_ratio=0.0)
    finetune(
        EmbedConfig(**common, out=str(tmp_path / "single"), batch_size=8, device="cpu",
                    mini_batch_size=3)
    )  # fmt: skip
    flags = ["--model", common["model"], "--train", str(pairs), "--loss", loss]
    flags += ["--epochs", "2", "--lr", "1e-3", "--max-seq-length", "16", "--log-every", "1"]
    flags += ["--seed", "5", "--warmup-ratio", "0", "--batch-size", "4", "--device", "cpu"]
    flags += ["--mini-batch-size", "3", "--out", str(tmp_path / "ddp")]
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
        "--master-addr", "127.0.0.1", "--master-port", str(free_port()),
        "-m", "bertkit.cli.main", "finetune", "embed", *flags,
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    ours, reference = (load_file(tmp_path / d / "model.safetensors") for d in ("ddp", "single"))
    assert set(ours) == set(reference)
    for key in reference:
        torch.testing.assert_close(ours[key], reference[key], rtol=1e-4, atol=1e-5, msg=key)
    single, ddp = _losses(tmp_path / "single"), _losses(tmp_path / "ddp")
    assert len(single) == len(ddp) == 8  # 4 full batches an epoch; only rank 0 writes
    assert ddp == pytest.approx(single, rel=1e-5)
    assert single[-1] < single[0]  # it trained
