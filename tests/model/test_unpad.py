import pytest
import torch

from bertkit import BertForPreTraining, BertForQuestionAnswering, BertModel
from bertkit.model.unpad import packing, repad, unpad
from tests.model.tiny import tiny_config


def ragged_batch(lengths: list[int], width: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 99, (len(lengths), width), generator=g)
    mask = (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).long()
    types = (torch.arange(width)[None, :] >= torch.tensor(lengths)[:, None] // 2).long() * mask
    return ids * mask, types, mask


def test_pack_and_repad_round_trip_the_real_tokens():
    _, _, mask = ragged_batch([3, 7, 3, 5], 7)
    x = torch.randn(4, 7, 6)
    pack = packing(mask)
    assert pack.num_tokens == 18
    assert sorted(length for length, _ in pack.groups) == [3, 5, 7]
    back = repad(unpad(x, pack), pack)
    torch.testing.assert_close(back, x * mask[..., None])


@pytest.mark.parametrize("lengths", [[11, 4, 9, 4, 1], [6, 6, 6], [12, 2]])
def test_unpadded_encoder_equals_the_padded_reference(lengths):
    ids, types, mask = ragged_batch(lengths, max(lengths) + 2)
    reference = BertModel(tiny_config()).eval()
    fast = BertModel(tiny_config()).eval().use_unpadding()
    fast.load_state_dict(reference.state_dict())
    a = reference(ids, types, mask, output_hidden_states=True)
    b = fast(ids, types, mask, output_hidden_states=True)
    real = mask.bool()
    close = dict(atol=1e-5, rtol=0)
    torch.testing.assert_close(b.last_hidden_state[real], a.last_hidden_state[real], **close)
    assert not b.last_hidden_state[~real].any()  # padding positions are zeros
    torch.testing.assert_close(b.pooler_output, a.pooler_output, atol=1e-5, rtol=0)
    for ha, hb in zip(a.hidden_states, b.hidden_states, strict=True):
        torch.testing.assert_close(hb[real], ha[real], atol=1e-5, rtol=0)


def test_left_padding_and_holes_are_unpadded_too():
    ids, types, mask = ragged_batch([8, 5], 8)
    mask = mask.flip(1)  # padding first
    ids = ids.flip(1)
    reference = BertModel(tiny_config()).eval()
    fast = BertModel(tiny_config()).eval().use_unpadding()
    fast.load_state_dict(reference.state_dict())
    real = mask.bool()
    a = reference(ids, attention_mask=mask).last_hidden_state[real]
    b = fast(ids, attention_mask=mask).last_hidden_state[real]
    torch.testing.assert_close(b, a, atol=1e-5, rtol=0)


def test_unpadded_training_step_gives_the_same_loss_and_gradients():
    config = tiny_config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    ids, types, mask = ragged_batch([10, 3, 7, 7], 12, seed=1)
    labels = torch.full_like(ids, -100)
    labels[:, 1] = ids[:, 1]
    labels[0, 8] = ids[0, 8]
    nsp = torch.tensor([0, 1, 1, 0])
    models = []
    for unpadded in (False, True):
        torch.manual_seed(0)
        model = BertForPreTraining(config, sparse_prediction=True).use_unpadding(unpadded).train()
        out = model(ids, types, mask, labels=labels, next_sentence_label=nsp)
        out.loss.backward()
        models.append((out.loss, model))
    (loss_a, a), (loss_b, b) = models
    torch.testing.assert_close(loss_b, loss_a, atol=1e-5, rtol=0)
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        torch.testing.assert_close(pb.grad, pa.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_heads_switch_unpadding_at_run_time_and_attentions_fall_back():
    ids, types, mask = ragged_batch([9, 4], 9)
    model = BertForQuestionAnswering(tiny_config()).eval()
    before = model(ids, types, mask).start_logits
    after = model.use_unpadding()(ids, types, mask).start_logits
    real = mask.bool()
    torch.testing.assert_close(after[real], before[real], atol=1e-5, rtol=0)
    assert model.bert.unpad
    out = model.bert(ids, types, mask, output_attentions=True)  # needs the eager, padded path
    assert out.attentions[0].shape == (2, tiny_config().num_attention_heads, 9, 9)
