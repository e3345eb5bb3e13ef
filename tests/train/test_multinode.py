"""Two "nodes" on one machine: two torchrun launchers (--nnodes 2) meeting at a c10d rendezvous on
loopback, Gloo, one process each, end with the weights of one process with the same global batch.

This is the launch a real cluster uses (README, "Multi-node"), with 127.0.0.1 as the head node.
"""

import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from bertkit.train import TrainConfig
from bertkit.train.pretrain import PretrainConfig, pretrain
from tests.train.test_ddp import free_port, train_losses


def test_two_nodes_match_one_process_with_the_same_global_batch(
    tiny_data, tiny_model_config, tmp_path
):
    steps = dict(max_steps=4, lr=1e-3, log_every=1, save_every=2, progress=False, seed=3)
    single = TrainConfig(out_dir=str(tmp_path / "single"), batch_size=8, **steps)
    pretrain(PretrainConfig(data=str(tiny_data), model=str(tiny_model_config)), single)

    flags = ["--max-steps", "4", "--lr", "1e-3", "--log-every", "1", "--save-every", "2"]
    flags += ["--no-progress", "--seed", "3", "--batch-size", "4"]  # 2 nodes x 1 x 4 = 8
    endpoint = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
    nodes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--nnodes",
                "2",
                "--nproc-per-node",
                "1",
                "--node-rank",
                str(rank),
                "--rdzv-backend",
                "c10d",
                "--rdzv-endpoint",
                endpoint,
                "--rdzv-id",
                "bertkit-test",
                "--max-restarts",
                "0",
                "-m",
                "bertkit.cli.main",
                "pretrain",
                "--data",
                str(tiny_data),
                "--config",
                str(tiny_model_config),
                "--out",
                str(tmp_path / "nodes"),
                *flags,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for rank in (0, 1)
    ]
    try:
        outputs = [node.communicate(timeout=300) for node in nodes]
    finally:
        for node in nodes:
            node.kill()
    for node, (_, err) in zip(nodes, outputs, strict=True):
        assert node.returncode == 0, err[-3000:]

    ours, reference = (
        load_file(tmp_path / d / "model" / "model.safetensors") for d in ("nodes", "single")
    )
    for key in reference:
        torch.testing.assert_close(ours[key], reference[key], rtol=1e-5, atol=1e-6, msg=key)
    losses = {run: train_losses(tmp_path / run) for run in ("nodes", "single")}
    assert len(losses["nodes"]) == 4  # only global rank 0 writes
    assert losses["nodes"] == pytest.approx(losses["single"], rel=1e-5)
