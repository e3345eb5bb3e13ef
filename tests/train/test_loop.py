"""The shared loop on a toy regression: exact resume, NaN stop, checkpoint rotation, metrics."""

import json
import time

import pytest
import torch
from torch import nn

from bertkit.data import ShuffledBatches
from bertkit.train import TrainConfig, TrainingDiverged, train
from bertkit.train.checkpoint import list_checkpoints

X = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
Y = X @ torch.tensor([1.0, -2.0, 3.0, 0.5])


def make_batch(indices, epoch):
    return {"x": X[indices], "y": Y[indices]}


def squared_error(model, batch, totals):
    err = (model(batch["x"]).squeeze(-1) - batch["y"]) ** 2
    return err.sum() / totals["examples"], {"mse": err.sum().item() / totals["examples"]}


def toy_model():
    torch.manual_seed(0)  # dropout makes the RNG state matter on resume
    return nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.2), nn.Linear(16, 1))


def config(tmp_path, **overrides):
    base = dict(out_dir=str(tmp_path), max_steps=6, batch_size=8, lr=1e-2, log_every=1)
    return TrainConfig(**{**base, "progress": False, **overrides})


def run(tmp_path, resume=False, step=squared_error, **overrides):
    model = toy_model()
    batches = ShuffledBatches(64, 8, make_batch, seed=1)
    result = train(model, config(tmp_path, **overrides), batches, step, resume=resume)
    return model, result


class Crash(Exception):
    pass


def crashing_at(call: int):
    """A step function that dies on its `call`-th call, as a killed process would."""
    calls = []

    def step(model, batch, totals):
        calls.append(1)
        if len(calls) == call:
            raise Crash
        return squared_error(model, batch, totals)

    return step


def losses(out_dir):
    lines = (out_dir / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


def test_resume_continues_exactly_as_an_uninterrupted_run(tmp_path):
    straight, _ = run(tmp_path / "a", save_every=3)
    with pytest.raises(Crash):
        run(tmp_path / "b", save_every=3, step=crashing_at(5))
    resumed, result = run(tmp_path / "b", save_every=3, resume=True)
    assert result.step == 6
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert losses(tmp_path / "b") == pytest.approx(losses(tmp_path / "a"), rel=1e-6)


def test_keeps_only_the_last_checkpoints(tmp_path):
    run(tmp_path, save_every=1, keep_last=2)
    names = [p.name for p in list_checkpoints(tmp_path / "checkpoints")]
    assert names == ["step-00000005.pt", "step-00000006.pt"]


def test_refuses_to_overwrite_a_run_without_resume(tmp_path):
    run(tmp_path, max_steps=2)
    with pytest.raises(Exception, match="already has checkpoints"):
        run(tmp_path, max_steps=2)


def test_nan_loss_stops_before_touching_the_weights(tmp_path):
    def poisoned(model, batch, totals):
        loss, metrics = squared_error(model, batch, totals)
        return (loss * float("nan") if poisoned.calls >= 4 else loss), metrics

    poisoned.calls = 0

    def counting(model, batch, totals):
        poisoned.calls += 1
        return poisoned(model, batch, totals)

    model = toy_model()
    batches = ShuffledBatches(64, 8, make_batch)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(TrainingDiverged, match=r"step 4: loss nan.*step-00000002\.pt"):
        train(model, config(tmp_path, save_every=2), batches, counting)
    names = [p.name for p in list_checkpoints(tmp_path / "checkpoints")]
    assert names == ["step-00000002.pt"]
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_metrics_lines_have_step_loss_and_learning_rate(tmp_path):
    model = toy_model()
    batches = ShuffledBatches(64, 8, make_batch)
    evaluate = lambda m: {"loss": float(((m(X).squeeze(-1) - Y) ** 2).mean())}  # noqa: E731
    train(model, config(tmp_path, eval_every=3), batches, squared_error, evaluate=evaluate)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["split"] == "eval"] == [3, 6]
    assert all({"step", "loss"} <= set(r) for r in records)
    assert all({"lr", "mse", "grad_norm"} <= set(r) for r in records if r["split"] == "train")


def test_time_limit_stops_early_with_an_evaluation_and_a_checkpoint(tmp_path):
    model = toy_model()
    batches = ShuffledBatches(64, 8, make_batch)
    evaluate = lambda m: {"loss": 0.0}  # noqa: E731
    limited = config(tmp_path, max_steps=1000, time_limit_minutes=1e-6)
    result = train(model, limited, batches, squared_error, evaluate=evaluate)
    assert result.step == 1 and result.eval["step"] == 1
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == ["step-00000001.pt"]


def test_a_time_limited_run_plans_its_schedule_by_time_and_ends_at_lr_0(tmp_path):
    def slow(model, batch, totals):
        time.sleep(0.02)  # about 1.5 s / 0.02 s = 75 steps fit, far fewer than max_steps
        return squared_error(model, batch, totals)

    limited = dict(max_steps=100_000, time_limit_minutes=0.025, warmup_steps=0, lr=1e-2)
    model, result = run(tmp_path, step=slow, **limited)
    assert result.step < 100_000 and "time limit" in result.stopped
    assert result.lr == 0.0  # the schedule decayed fully at the stop
    lrs = [r["lr"] for r in map(json.loads, (tmp_path / "metrics.jsonl").read_text().splitlines())
           if r["split"] == "train"]  # fmt: skip
    assert lrs == sorted(lrs, reverse=True)  # falling all along, by time
    assert lrs[0] == 1e-2 and lrs[-1] < 0.5e-2


def test_a_time_limited_run_shows_its_progress_by_time_and_step_count(tmp_path, capsys):
    def slow(model, batch, totals):
        time.sleep(0.02)
        return squared_error(model, batch, totals)

    limited = dict(max_steps=1_000_000, time_limit_minutes=0.02, warmup_steps=0, progress=True)
    model = toy_model()
    batches = ShuffledBatches(64, 8, make_batch, seed=1)
    result = train(model, config(tmp_path, **limited), batches, slow)
    lines = capsys.readouterr().err.splitlines()
    bars = [line for line in lines if line.startswith("train:")]
    assert "1000000" not in "\n".join(bars)  # the step cap is not the bar's end
    assert bars[0].startswith("train:   0%") and bars[0].endswith("0/1 s, step 0")
    assert bars[-1].startswith("train: 100%") and "1/1 s" in bars[-1]
    assert f"step {result.step}, loss " in bars[-1] and result.step > 5
