"""The cached (GradCache) step gives the plain loss's gradients, and runs its own backward."""

import pytest
import torch

from bertkit import BertModel
from bertkit.interop.sentence_transformers import SentenceLayout
from bertkit.model.pooling import PoolingConfig
from bertkit.tasks import task as shared
from bertkit.tasks.embed.cached import CachedStep
from bertkit.tasks.embed.losses import build_loss
from bertkit.tasks.embed.model import SentenceEncoder
from tests.model.tiny import tiny_config


def _encoder(loss_name: str, num_roles: int, dims=(), dropout: float = 0.0) -> SentenceEncoder:
    torch.manual_seed(0)
    config = tiny_config(hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    layout = SentenceLayout(pooling=PoolingConfig(mode="mean", normalize=True))
    loss = build_loss(loss_name, 20.0, 5.0, True, list(dims))
    return SentenceEncoder(BertModel(config, use_pooler=False), layout, loss, num_roles).double()


def _batch(rows: int, num_roles: int, seed: int = 1) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    n = rows * num_roles
    ids = torch.randint(5, 99, (n, 12), generator=g)
    lengths = torch.randint(3, 13, (n,), generator=g)
    mask = (torch.arange(12)[None, :] < lengths[:, None]).long()
    return {"input_ids": ids * mask, "attention_mask": mask}


def _grads(model) -> dict[str, torch.Tensor]:
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return grads


@pytest.mark.parametrize(("num_roles", "mini_batch", "dims"), [(2, 5, ()), (3, 7, (32, 16))])
def test_cached_gradients_equal_the_plain_loss(num_roles, mini_batch, dims):
    model = _encoder("cached_mnrl", num_roles, dims)
    model.train()
    batch = _batch(rows=12, num_roles=num_roles)
    totals = {"units": 24.0}  # as if this micro-batch were half of the step's rows

    class Task:  # the shared step's view of the task: units are rows
        def units(self, b):
            return b["input_ids"].size(0) // num_roles

    plain_loss, _ = shared.step(Task(), model, batch, totals)  # type: ignore[arg-type]
    plain_loss.backward()
    plain = _grads(model)

    step = CachedStep(mini_batch)
    assert step.runs_backward
    cached_loss, _ = step(model, batch, totals)
    cached = _grads(model)
    assert not cached_loss.requires_grad
    assert float(cached_loss) == pytest.approx(float(plain_loss.detach()), abs=1e-10)
    assert plain.keys() == cached.keys() and plain
    for name in plain:
        torch.testing.assert_close(cached[name], plain[name], atol=1e-6, rtol=0, msg=name)


def test_dropout_masks_are_replayed_in_the_second_pass():
    # With dropout on, the step's gradient is that of the loss at the first pass's embeddings
    # only if the re-forward draws the same masks: compare with a graph kept over the same passes.
    model = _encoder("cached_mnrl", 2, dropout=0.3)
    model.train()
    batch = _batch(rows=8, num_roles=2)
    chunks = list(zip(batch["input_ids"].split(4), batch["attention_mask"].split(4), strict=True))
    torch.manual_seed(5)
    parts = [model(i, m, compute_loss=False).embeddings for i, m in chunks]
    assert model.loss is not None
    model.loss(list(torch.cat(parts).chunk(2)), None).backward()
    expected = _grads(model)
    torch.manual_seed(5)
    CachedStep(4)(model, batch, {"units": 8.0})
    got = _grads(model)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], atol=1e-6, rtol=0, msg=name)
