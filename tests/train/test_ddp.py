"""Two processes under torchrun (Gloo, CPU) end with the weights of one with the same batch."""

import json
import os
import socket
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from bertkit.train import TrainConfig
from bertkit.train.pretrain import PretrainConfig, pretrain


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_losses(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


def test_two_gloo_processes_match_one_process_with_the_same_global_batch(
    tiny_data, tiny_model_config, tmp_path
):
    steps = dict(max_steps=4, lr=1e-3, log_every=1, save_every=2, progress=False, seed=3)
    single = TrainConfig(out_dir=str(tmp_path / "single"), batch_size=8, **steps)
    pretrain(PretrainConfig(data=str(tiny_data), model=str(tiny_model_config)), single)

    flags = ["--max-steps", "4", "--lr", "1e-3", "--log-every", "1", "--save-every", "2"]
    flags += ["--no-progress", "--seed", "3", "--batch-size", "4"]  # 2 processes x 4 = 8
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
        "--master-addr", "127.0.0.1", "--master-port", str(free_port()),
        "-m", "bertkit.cli.main", "pretrain", "--data", str(tiny_data),
        "--config", str(tiny_model_config), "--out", str(tmp_path / "ddp"), *flags,
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    ours, reference = (
        load_file(tmp_path / d / "model" / "model.safetensors") for d in ("ddp", "single")
    )
    for key in reference:
        torch.testing.assert_close(ours[key], reference[key], rtol=1e-5, atol=1e-6, msg=key)
    losses = {run: train_losses(tmp_path / run) for run in ("ddp", "single")}
    assert len(losses["ddp"]) == 4  # only rank 0 writes
    assert losses["ddp"] == pytest.approx(losses["single"], rel=1e-5)
