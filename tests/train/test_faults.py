"""Training faults: preemption signals, failed writes, damaged checkpoints (docs/reliability.md)."""

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from bertkit.errors import BertkitError
from bertkit.train import TrainConfig
from bertkit.train.checkpoint import list_checkpoints, load_checkpoint
from bertkit.train.pretrain import PretrainConfig, pretrain
from tests.train.test_loop import run as run_toy
from tests.train.test_loop import squared_error

HELPER = Path(__file__).with_name("faulty_run.py")
REPO = Path(__file__).resolve().parents[2]
OPTIONS = dict(max_steps=8, batch_size=4, lr=1e-3, log_every=1, save_every=2, progress=False)


def bertkit(argv: list, fault: str = "", at: int = 0) -> subprocess.CompletedProcess:
    request = {"fault": fault, "at": at, "argv": [str(a) for a in argv]}
    return subprocess.run(
        [sys.executable, str(HELPER), json.dumps(request)], cwd=REPO, capture_output=True, text=True
    )


def pretrain_argv(data, model, out, resume=False) -> list:
    flags = ["--max-steps", 8, "--batch-size", 4, "--lr", 1e-3, "--log-every", 1]
    flags += ["--save-every", 2, "--no-progress"] + (["--resume"] if resume else [])
    return ["pretrain", "--data", data, "--config", model, "--out", out, *flags]


def train_losses(run_dir: Path) -> list:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(r["step"], r["loss"]) for r in map(json.loads, lines) if r["split"] == "train"]


def steps(run_dir: Path) -> list[int]:
    return [int(p.stem.split("-")[1]) for p in list_checkpoints(run_dir / "checkpoints")]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def assert_same_run(ours: Path, reference: Path) -> None:
    assert train_losses(ours) == train_losses(reference)
    a, b = (load_file(d / "model" / "model.safetensors") for d in (ours, reference))
    for key in b:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


@pytest.fixture(scope="module")
def straight(tiny_data, tiny_model_config_with_dropout, tmp_path_factory):
    """An uninterrupted run: what every interrupted one must end up equal to."""
    out = tmp_path_factory.mktemp("straight")
    config = PretrainConfig(data=str(tiny_data), model=str(tiny_model_config_with_dropout))
    pretrain(config, TrainConfig(out_dir=str(out), **OPTIONS))
    return out


def test_sigterm_saves_the_current_step_exits_0_and_resume_equals_an_uninterrupted_run(
    tiny_data, tiny_model_config_with_dropout, straight, tmp_path
):
    argv = pretrain_argv(tiny_data, tiny_model_config_with_dropout, tmp_path)
    stopped = bertkit(argv, fault="sigterm", at=3)
    assert stopped.returncode == 0, stopped.stderr
    assert steps(tmp_path) == [2, 3]  # step 3 itself, not only the periodic save at 2
    assert "stopped at step 3: SIGTERM received" in stopped.stderr
    assert "continue with --resume" in stopped.stderr
    resumed = bertkit(pretrain_argv(tiny_data, tiny_model_config_with_dropout, tmp_path, True))
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(tmp_path, straight)


def test_a_second_signal_during_that_save_stops_at_once_leaving_the_previous_checkpoint(
    tiny_data, tiny_model_config_with_dropout, straight, tmp_path
):
    argv = pretrain_argv(tiny_data, tiny_model_config_with_dropout, tmp_path)
    stopped = bertkit(argv, fault="sigterm_twice", at=3)
    assert stopped.returncode == 2
    assert error_lines(stopped.stderr) == ["error: SIGTERM again: stopped at once, without saving"]
    assert "Traceback" not in stopped.stderr
    assert steps(tmp_path) == [2]
    assert load_checkpoint(list_checkpoints(tmp_path / "checkpoints")[0])["step"] == 2
    assert not list((tmp_path / "checkpoints").glob(".step-*"))  # no torn temporary left
    resumed = bertkit(pretrain_argv(tiny_data, tiny_model_config_with_dropout, tmp_path, True))
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(tmp_path, straight)


@pytest.mark.parametrize(
    "fault, reason",
    [("enospc_checkpoint", "No space left"), ("eio_checkpoint", "Input/output error")],
)
def test_a_failed_checkpoint_write_keeps_the_previous_one_and_is_one_line_naming_the_file(
    fault, reason, tiny_data, tiny_model_config_with_dropout, tmp_path
):
    argv = pretrain_argv(tiny_data, tiny_model_config_with_dropout, tmp_path)
    failed = bertkit(argv, fault=fault, at=2)  # the second save: step 4
    assert failed.returncode == 2
    (line,) = error_lines(failed.stderr)
    assert str(tmp_path / "checkpoints" / "step-00000004.pt") in line and reason in line
    assert "Traceback" not in failed.stderr
    assert steps(tmp_path) == [2]
    assert load_checkpoint(list_checkpoints(tmp_path / "checkpoints")[0])["step"] == 2
    assert not list((tmp_path / "checkpoints").glob(".step-*"))


def test_a_failed_model_write_is_one_line_naming_the_file_and_keeps_the_checkpoint(
    tiny_data, tiny_model_config_with_dropout, tmp_path
):
    argv = pretrain_argv(tiny_data, tiny_model_config_with_dropout, tmp_path)
    failed = bertkit(argv, fault="enospc_model")
    assert failed.returncode == 2
    (line,) = error_lines(failed.stderr)
    assert str(tmp_path / "model" / "model.safetensors") in line and "No space left" in line
    assert not (tmp_path / "model" / "model.safetensors").exists()
    assert load_checkpoint(list_checkpoints(tmp_path / "checkpoints")[-1])["step"] == 8


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # bytes flipped in the middle third: torch.load alone would not notice
        for i in range(len(data) // 3, 2 * len(data) // 3, 101):
            data[i] ^= 0xFF
        path.write_bytes(data)


@pytest.mark.parametrize("how", ["truncated", "corrupted"])
def test_resume_falls_back_past_a_damaged_newest_checkpoint_with_a_warning(how, tmp_path, caplog):
    reference, _ = run_toy(tmp_path / "a", save_every=2)
    run_toy(tmp_path / "b", save_every=2, keep_last=3)
    newest = list_checkpoints(tmp_path / "b" / "checkpoints")[-1]
    damage(newest, how)
    with caplog.at_level(logging.WARNING):
        resumed, result = run_toy(tmp_path / "b", save_every=2, resume=True, max_steps=6)
    assert any(newest.name in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert result.step == 6  # steps 5 and 6 redone from step 4's checkpoint
    for p, q in zip(reference.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_resume_with_no_usable_checkpoint_is_one_error(tmp_path):
    run_toy(tmp_path, save_every=2)
    for path in list_checkpoints(tmp_path / "checkpoints"):
        damage(path, "corrupted")
    with pytest.raises(BertkitError, match="no usable checkpoint"):
        run_toy(tmp_path, save_every=2, resume=True)


def test_a_signal_in_process_returns_preempted_with_a_checkpoint_at_that_step(tmp_path):
    """Also with a metrics line every 3 steps, so the stop falls inside a logging interval."""
    reference, _ = run_toy(tmp_path / "a", max_steps=8, log_every=3)
    calls = []

    def signalled_at_5(model, batch, totals):
        calls.append(1)
        if len(calls) == 5:
            os.kill(os.getpid(), signal.SIGTERM)  # handled at once; the step carries on
        return squared_error(model, batch, totals)

    _, stopped = run_toy(tmp_path / "b", step=signalled_at_5, max_steps=8, log_every=3)
    assert stopped.is_preempted and stopped.step == 5 and "SIGTERM" in stopped.stopped
    assert steps(tmp_path / "b") == [5]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is gone again
    resumed, result = run_toy(tmp_path / "b", resume=True, max_steps=8, log_every=3)
    assert result.step == 8 and not result.is_preempted
    for p, q in zip(reference.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    # Lines at steps 3, 6 and 8; the one at 6 averages steps 4-6 across the stop, as without it.
    assert train_losses(tmp_path / "b") == train_losses(tmp_path / "a")
    assert [step for step, _ in train_losses(tmp_path / "b")] == [3, 6, 8]
