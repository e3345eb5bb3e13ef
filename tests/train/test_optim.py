"""The optimizer and schedule: BERT's parameter groups, the fused AdamW equal to the reference
per-tensor AdamW, and the warmup-then-decay multiplier."""

import pytest
import torch

from bertkit.model import BertForSequenceClassification
from bertkit.train.config import TrainConfig
from bertkit.train.optim import (
    build_optimizer,
    linear_schedule,
    param_groups,
    time_limited_schedule,
)
from tests.model.tiny import tiny_config


def tiny_model() -> BertForSequenceClassification:
    torch.manual_seed(0)
    # eval(): no dropout, so both models see the same inputs
    return BertForSequenceClassification(tiny_config()).eval()


def test_no_decay_on_biases_and_layernorm():
    decay, no_decay = param_groups(tiny_model(), 0.01)
    assert all(p.ndim >= 2 for p in decay["params"]) and decay["weight_decay"] == 0.01
    assert all(p.ndim == 1 for p in no_decay["params"]) and no_decay["weight_decay"] == 0.0


def test_fused_adamw_takes_the_same_steps_as_the_reference():
    fused_model, reference_model = tiny_model(), tiny_model()
    config = TrainConfig(out_dir="unused", lr=1e-2)
    fused = build_optimizer(fused_model, config)
    assert fused.defaults["fused"]
    reference = torch.optim.AdamW(
        param_groups(reference_model, config.weight_decay),
        lr=config.lr,
        betas=(config.adam_beta1, config.adam_beta2),
        eps=config.adam_eps,
        foreach=False,
    )
    ids = torch.randint(0, 64, (4, 10))
    labels = torch.tensor([0, 1, 1, 0])
    for _ in range(5):
        for model, optimizer in ((fused_model, fused), (reference_model, reference)):
            model(input_ids=ids, labels=labels).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    for a, b in zip(fused_model.parameters(), reference_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    assert not torch.equal(fused_model.classifier.weight, tiny_model().classifier.weight)


def test_linear_warmup_then_linear_decay_to_zero():
    assert linear_schedule(0, 10, 100) == 0.1
    assert linear_schedule(9, 10, 100) == 1.0
    assert linear_schedule(55, 10, 100) == 0.5
    assert linear_schedule(100, 10, 100) == 0.0


def test_the_time_limited_schedule_reaches_0_when_the_time_is_spent():
    assert time_limited_schedule(50, 10, 100, time_used=0.0) == linear_schedule(50, 10, 100)
    assert time_limited_schedule(50, 10, 100, time_used=0.9) == pytest.approx(0.1)
    assert time_limited_schedule(5, 10, 100, time_used=1.2) == 0.0


def test_head_lr_gives_the_cross_encoder_head_its_own_rate_under_the_schedule():
    from bertkit.tasks.rerank.model import CrossEncoder
    from bertkit.train.optim import build_scheduler

    torch.manual_seed(0)
    model = CrossEncoder(BertForSequenceClassification(tiny_config(num_labels=1)))
    head = {id(p) for p in model.head_parameters()}
    names = {n for n, p in model.named_parameters() if id(p) in head}
    assert names == {
        "classifier.classifier.weight",
        "classifier.classifier.bias",
        "classifier.bert.pooler.dense.weight",
        "classifier.bert.pooler.dense.bias",
    }
    config = TrainConfig(out_dir="unused", lr=1e-4, head_lr=1e-3, max_steps=10, warmup_steps=0)
    optimizer = build_optimizer(model, config)
    rates = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    assert len(rates) == sum(1 for _ in model.parameters())
    assert all(rates[i] == (1e-3 if i in head else 1e-4) for i in rates)
    scheduler = build_scheduler(optimizer, config)
    optimizer.step()
    scheduler.step()  # both decay by the same factor: 9/10 after one of ten steps
    assert sorted({round(g["lr"], 12) for g in optimizer.param_groups}) == [9e-5, 9e-4]
    plain = build_optimizer(model, TrainConfig(out_dir="unused", lr=1e-4))
    assert len(plain.param_groups) == 2  # without head_lr: BERT's two groups
