"""Unpadding is the default: every model packs the real tokens, and equals the padded reference."""

import pytest
import torch

import bertkit
from bertkit import BertForPreTraining, BertForQuestionAnswering, BertModel
from bertkit.model.config import ConfigError
from bertkit.model.unpad import packing, repad, unpad
from tests.model.tiny import tiny_config

HEADS = [
    "BertModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
    "BertForMultipleChoice",
]


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


@pytest.mark.parametrize("lengths", [[11, 4, 9, 4, 1], [6, 6, 6], [12, 2], [9, 7, 7, 3]])
def test_unpadded_encoder_equals_the_padded_reference(lengths):
    ids, types, mask = ragged_batch(lengths, max(lengths) + 2)
    reference = BertModel(tiny_config(), unpad=False).eval()
    fast = BertModel(tiny_config()).eval()
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
    reference = BertModel(tiny_config(), unpad=False).eval()
    fast = BertModel(tiny_config()).eval()
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
        model = BertForPreTraining(config, unpad=unpadded).train()
        out = model(ids, types, mask, labels=labels, next_sentence_label=nsp)
        out.loss.backward()
        models.append((out.loss, model))
    (loss_a, a), (loss_b, b) = models
    torch.testing.assert_close(loss_b, loss_a, atol=1e-5, rtol=0)
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        torch.testing.assert_close(pb.grad, pa.grad, atol=1e-5, rtol=1e-4, msg=name)


def packed_inputs_seen(model: torch.nn.Module, run) -> list[tuple[int, ...]]:
    """The shapes the first encoder layer receives while `run()` runs."""
    shapes = []
    layer = next(m for m in model.modules() if isinstance(m, bertkit.model.bert.EncoderLayer))
    handle = layer.register_forward_pre_hook(lambda _, args: shapes.append(tuple(args[0].shape)))
    try:
        run()
    finally:
        handle.remove()
    return shapes


def head_batch(name: str):
    ids, types, mask = ragged_batch([9, 4, 6], 9)
    if name == "BertForMultipleChoice":  # (B, K, T): two questions with three choices each
        ids, types, mask = (t[None].repeat(2, 1, 1) for t in (ids, types, mask))
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


@pytest.mark.parametrize("name", HEADS)
def test_every_default_model_runs_its_layers_on_packed_real_tokens(name):
    config = tiny_config(num_labels=2 if name == "BertForQuestionAnswering" else 3)
    fast = getattr(bertkit, name)(config).eval()
    reference = getattr(bertkit, name)(config, unpad=False).eval()
    reference.load_state_dict(fast.state_dict())
    batch = head_batch(name)
    real_tokens = int(batch["attention_mask"].sum())
    outputs = []
    shapes = packed_inputs_seen(fast, lambda: outputs.append(fast(**batch)))
    assert shapes == [(real_tokens, config.hidden_size)]  # (N, C): no padding row reaches a layer
    assert packed_inputs_seen(reference, lambda: outputs.append(reference(**batch)))[0][-2:] == (
        batch["input_ids"].shape[-1],
        config.hidden_size,
    )
    a, b = outputs
    real = batch["attention_mask"].bool()
    for field in ("last_hidden_state", "logits", "prediction_logits", "start_logits"):
        mine, ref = getattr(a, field, None), getattr(b, field, None)
        if mine is not None and mine.dim() >= 2 and mine.shape[:2] == real.shape[:2]:
            if name != "BertForMultipleChoice" and name != "BertForSequenceClassification":
                mine, ref = mine[real], ref[real]
        if mine is not None:
            torch.testing.assert_close(mine, ref, atol=1e-5, rtol=0, msg=field)
    for field in ("pooler_output", "seq_relationship_logits", "end_logits"):
        if getattr(a, field, None) is not None:
            mine, ref = getattr(a, field), getattr(b, field)
            if field == "end_logits":
                mine, ref = mine[real], ref[real]
            torch.testing.assert_close(mine, ref, atol=1e-5, rtol=0, msg=field)


def test_from_pretrained_unpads_by_default_and_on_request_does_not(tmp_path):
    BertModel(tiny_config()).save_pretrained(tmp_path)
    assert BertModel.from_pretrained(tmp_path).unpad
    assert not BertModel.from_pretrained(tmp_path, unpad=False).unpad


def test_eager_attention_is_the_padded_reference_and_refuses_unpadding():
    with pytest.raises(ConfigError, match="unpad=False"):
        BertModel(tiny_config(), attn_backend="eager")
    eager = BertModel(tiny_config(), attn_backend="eager", unpad=False).eval()
    batch = head_batch("BertModel")
    shapes = packed_inputs_seen(eager, lambda: eager(**batch))
    assert shapes[0] == (3, 9, tiny_config().hidden_size)  # (B, T, C): the padded path


def test_asking_for_attentions_selects_the_padded_eager_path():
    ids, types, mask = ragged_batch([9, 4], 9)
    model = BertForQuestionAnswering(tiny_config()).eval()
    assert model.bert.unpad
    shapes = packed_inputs_seen(model, lambda: model.bert(ids, types, mask, output_attentions=True))
    assert shapes[0] == (2, 9, tiny_config().hidden_size)
    out = model.bert(ids, types, mask, output_attentions=True)
    assert out.attentions[0].shape == (2, tiny_config().num_attention_heads, 9, 9)
