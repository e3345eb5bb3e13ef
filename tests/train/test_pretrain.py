"""Pretraining: accumulation equals one big batch, exact resume, overfitting one batch."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from bertkit.data.dataset import PretrainingData
from bertkit.model import BertForPreTraining
from bertkit.model.config import BertConfig
from bertkit.train import TrainConfig, train
from bertkit.train.pretrain import PretrainConfig, count_pretraining, pretrain, pretraining_step


def run_pretrain(data, model_config, out_dir, resume=False, **train_options):
    options = dict(max_steps=6, batch_size=4, lr=1e-3, log_every=1, progress=False, seed=5)
    config = TrainConfig(out_dir=str(out_dir), **{**options, **train_options})
    return pretrain(PretrainConfig(data=str(data), model=str(model_config)), config, resume)


def weights(run_dir):
    return load_file(run_dir / "model" / "model.safetensors")


def train_losses(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


def assert_same_weights(a, b, rtol=1e-5, atol=1e-6):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=rtol, atol=atol, msg=key)


def tiny_model(model_config):
    torch.manual_seed(0)
    config = BertConfig(**json.loads(model_config.read_text()))
    return BertForPreTraining(config, sparse_prediction=True)


def gradients(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def test_accumulated_micro_batches_give_the_loss_and_gradients_of_one_big_batch(
    tiny_data, tiny_model_config
):
    data = PretrainingData(tiny_data, "train")
    model = tiny_model(tiny_model_config)
    big = data.collate(np.arange(8), epoch=0)
    loss, _ = pretraining_step(model, big, count_pretraining(big))
    loss.backward()
    big_grads = gradients(model)

    model.zero_grad()
    micro = [data.collate(np.arange(i, i + 2), epoch=0) for i in range(0, 8, 2)]
    masked = [count_pretraining(b)["masked_tokens"] for b in micro]
    assert len(set(masked)) > 1, "micro-batches with unequal masked counts make the test bite"
    totals = {k: sum(count_pretraining(b)[k] for b in micro) for k in count_pretraining(big)}
    accumulated = 0.0
    for batch in micro:
        part, _ = pretraining_step(model, batch, totals)
        part.backward()
        accumulated += part.item()
    assert accumulated == pytest.approx(loss.item(), rel=1e-5)
    for name, grad in gradients(model).items():
        torch.testing.assert_close(grad, big_grads[name], rtol=1e-4, atol=1e-6, msg=name)

    # The bug this guards against: a mean of per-micro-batch means is a different number.
    with torch.no_grad():
        means = [pretraining_step(model, b, count_pretraining(b))[0].item() for b in micro]
    assert np.mean(means) != pytest.approx(loss.item(), rel=1e-4)


def test_grad_accum_run_matches_a_run_with_a_k_times_larger_batch(
    tiny_data, tiny_model_config, tmp_path
):
    run_pretrain(tiny_data, tiny_model_config, tmp_path / "big", max_steps=3, batch_size=8)
    run_pretrain(
        tiny_data,
        tiny_model_config,
        tmp_path / "acc",
        max_steps=3,
        batch_size=2,
        grad_accum_steps=4,
    )
    assert train_losses(tmp_path / "acc") == pytest.approx(train_losses(tmp_path / "big"), rel=1e-5)
    assert_same_weights(weights(tmp_path / "acc"), weights(tmp_path / "big"))


def test_resume_after_a_crash_gives_the_uninterrupted_weights_and_losses(
    tiny_data, tiny_model_config_with_dropout, tmp_path, monkeypatch
):
    run_pretrain(tiny_data, tiny_model_config_with_dropout, tmp_path / "straight", save_every=2)

    calls = []

    def crashing_step(model, batch, totals):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # as a user pressing ctrl-c during step 5
        return pretraining_step(model, batch, totals)

    monkeypatch.setattr("bertkit.train.pretrain.pretraining_step", crashing_step)
    with pytest.raises(KeyboardInterrupt):
        run_pretrain(tiny_data, tiny_model_config_with_dropout, tmp_path / "crashed", save_every=2)
    monkeypatch.undo()
    run_pretrain(
        tiny_data, tiny_model_config_with_dropout, tmp_path / "crashed", save_every=2, resume=True
    )
    assert_same_weights(weights(tmp_path / "crashed"), weights(tmp_path / "straight"), 0, 0)
    assert train_losses(tmp_path / "crashed") == train_losses(tmp_path / "straight")


def test_overfits_one_batch(tiny_data, tiny_model_config, tmp_path):
    data = PretrainingData(tiny_data, "train")
    batch = data.collate(np.arange(8), epoch=0)

    class SameBatch:
        def __iter__(self):
            while True:
                yield batch

        def state_dict(self):
            return {}

        def load_state_dict(self, state):
            pass

    model = tiny_model(tiny_model_config)
    config = TrainConfig(
        out_dir=str(tmp_path), max_steps=60, lr=1e-2, warmup_steps=0, log_every=5, progress=False
    )
    result = train(model, config, SameBatch(), pretraining_step, count=count_pretraining)
    first = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    assert first["loss"] > 4 and result.train["loss"] < 0.5
    assert result.train["mlm_acc"] > 0.9 and result.train["nsp_acc"] == 1.0
