import pytest
import torch

from bertkit import BertModel
from bertkit.model.attention import ATTENTION_BACKENDS, eager_attention, get_attention
from tests.model.tiny import tiny_config


@pytest.mark.parametrize("backend", sorted(set(ATTENTION_BACKENDS) - {"eager"}))
@pytest.mark.parametrize("dtype, atol", [(torch.float32, 1e-6), (torch.bfloat16, 2e-2)])
def test_fast_attention_equals_eager(backend, dtype, atol):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 7, 8, generator=g, dtype=dtype) for _ in range(3))
    mask = torch.ones(2, 7)
    mask[1, 4:] = 0
    bias = ((1.0 - mask[:, None, None, :]) * torch.finfo(dtype).min).to(dtype)
    expected, _ = eager_attention(q, k, v, bias, 0.0)
    actual, _ = get_attention(backend)(q, k, v, bias, 0.0)
    torch.testing.assert_close(actual, expected, atol=atol, rtol=0)


def test_models_with_either_backend_agree():
    ids = torch.randint(1, 99, (2, 11))
    mask = torch.ones(2, 11, dtype=torch.long)
    mask[0, 6:] = 0
    eager = BertModel(tiny_config(), attn_backend="eager", unpad=False).eval()
    sdpa = BertModel(tiny_config(), attn_backend="sdpa", unpad=False).eval()
    sdpa.load_state_dict(eager.state_dict())
    a, b = eager(ids, attention_mask=mask), sdpa(ids, attention_mask=mask)
    torch.testing.assert_close(a.last_hidden_state, b.last_hidden_state, atol=1e-6, rtol=0)


def test_padding_does_not_change_the_real_tokens():
    model = BertModel(tiny_config()).eval()
    ids = torch.randint(1, 99, (1, 6))
    padded = torch.cat([ids, torch.zeros(1, 5, dtype=torch.long)], dim=1)
    mask = torch.cat([torch.ones(1, 6), torch.zeros(1, 5)], dim=1).long()
    alone = model(ids).last_hidden_state
    with_pad = model(padded, attention_mask=mask).last_hidden_state[:, :6]
    torch.testing.assert_close(alone, with_pad, atol=1e-5, rtol=0)


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match="unknown attention backend 'flash9'"):
        BertModel(tiny_config(), attn_backend="flash9")
