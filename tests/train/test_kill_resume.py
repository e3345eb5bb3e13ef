"""kill -9 in the middle of a run and in the middle of a checkpoint write, then resume."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from bertkit.train import TrainConfig
from bertkit.train.checkpoint import list_checkpoints
from bertkit.train.pretrain import PretrainConfig, pretrain

HELPER = Path(__file__).with_name("killable_pretrain.py")
REPO = Path(__file__).resolve().parents[2]


OPTIONS = dict(max_steps=8, batch_size=4, lr=1e-3, log_every=1, save_every=2, progress=False)


def launch(**args) -> int:
    args = {k: str(v) if isinstance(v, Path) else v for k, v in {**OPTIONS, **args}.items()}
    return subprocess.run([sys.executable, str(HELPER), json.dumps(args)], cwd=REPO).returncode


def train_losses(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(r["step"], r["loss"]) for r in map(json.loads, lines) if r["split"] == "train"]


def last_checkpoint_step(run_dir) -> int:
    return int(list_checkpoints(run_dir / "checkpoints")[-1].stem.split("-")[1])


def test_killed_mid_step_and_mid_save_resumes_as_if_never_interrupted(
    tiny_data, tiny_model_config_with_dropout, tmp_path
):
    model = tiny_model_config_with_dropout
    config = TrainConfig(out_dir=str(tmp_path / "straight"), **OPTIONS)
    pretrain(PretrainConfig(data=str(tiny_data), model=str(model)), config)

    run = dict(data=tiny_data, model=model, out_dir=tmp_path / "killed")
    assert launch(**run, kill="step", at=5) == -signal.SIGKILL  # during step 5
    assert last_checkpoint_step(tmp_path / "killed") == 4
    # Resumed at step 4, it saves at 6, then dies halfway through writing step 8's checkpoint.
    assert launch(**run, resume=True, kill="save", at=2) == -signal.SIGKILL
    assert last_checkpoint_step(tmp_path / "killed") == 6
    assert list((tmp_path / "killed" / "checkpoints").glob(".step-*.tmp-*")), "a torn temp file"
    assert launch(**run, resume=True) == 0

    assert train_losses(tmp_path / "killed") == train_losses(tmp_path / "straight")
    assert [step for step, _ in train_losses(tmp_path / "killed")] == list(range(1, 9))
    ours, reference = (
        load_file(d / "model" / "model.safetensors")
        for d in (tmp_path / "killed", tmp_path / "straight")
    )
    for key in reference:
        torch.testing.assert_close(ours[key], reference[key], rtol=0, atol=0, msg=key)
    assert not list((tmp_path / "killed" / "checkpoints").glob(".step-*.tmp-*"))
