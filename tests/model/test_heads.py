import pytest
import torch

from bertkit import (
    BertForMaskedLM,
    BertForMultipleChoice,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
)
from tests.model.tiny import tiny_config

B, T = 3, 9


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 99, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 5:] = 0
    return ids, mask


def test_encoder_returns_every_layer_on_request(batch):
    ids, mask = batch
    config = tiny_config()
    out = BertModel(config).eval()(
        ids, attention_mask=mask, output_hidden_states=True, output_attentions=True
    )
    assert out.last_hidden_state.shape == (B, T, config.hidden_size)
    assert out.pooler_output.shape == (B, config.hidden_size)
    assert len(out.hidden_states) == config.num_hidden_layers + 1
    assert torch.equal(out.hidden_states[-1], out.last_hidden_state)
    assert len(out.attentions) == config.num_hidden_layers
    probs = out.attentions[0]
    assert probs.shape == (B, config.num_attention_heads, T, T)
    torch.testing.assert_close(probs.sum(-1), torch.ones(B, config.num_attention_heads, T))
    assert probs[1, :, :, 5:].abs().max() == 0  # padding keys get no attention


def test_pretraining_loss_is_mlm_plus_nsp(batch):
    ids, mask = batch
    labels = torch.full_like(ids, -100)
    labels[:, 2] = ids[:, 2]
    nsp = torch.tensor([0, 1, 0])
    out = BertForPreTraining(tiny_config())(
        ids, attention_mask=mask, labels=labels, next_sentence_label=nsp
    )
    assert out.prediction_logits.shape == (B, 99)  # the labelled positions only, one per row
    assert out.seq_relationship_logits.shape == (B, 2)
    torch.testing.assert_close(out.loss, out.mlm_loss + out.nsp_loss)


def test_mlm_decoder_is_tied_to_the_token_embeddings():
    model = BertForMaskedLM(tiny_config())
    with torch.no_grad():
        model.bert.embeddings.tok_emb.weight[7] += 1.0
    ids = torch.tensor([[1, 2, 3]])
    before = model(ids).logits[..., 7]
    with torch.no_grad():
        model.bert.embeddings.tok_emb.weight[7, :] = 0.0
    after = model(ids).logits[..., 7]
    assert not torch.allclose(before, after)
    names = [n for n, _ in model.named_parameters()]
    assert not any("decoder" in n for n in names)


def logits_of(out) -> torch.Tensor:
    logits = getattr(out, "prediction_logits", None)
    return logits if logits is not None else out.logits


@pytest.mark.parametrize("cls", [BertForPreTraining, BertForMaskedLM])
def test_labels_decode_masked_positions_only_with_the_loss_and_gradients_of_every_position(
    cls, batch
):
    ids, mask = batch
    labels = torch.full_like(ids, -100)
    labels[0, 1], labels[1, 3], labels[2, 8] = 5, 6, 7
    model = cls(tiny_config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    reference = cls(model.config)
    reference.load_state_dict(model.state_dict())
    out = model(ids, attention_mask=mask, labels=labels)
    assert logits_of(out).shape == (3, 99)
    every = logits_of(reference(ids, attention_mask=mask))  # no labels: (B, T, V)
    assert every.shape == (B, T, 99)
    labelled = labels != -100
    torch.testing.assert_close(logits_of(out), every[labelled])  # row-major labelled positions
    loss = torch.nn.functional.cross_entropy(every.reshape(-1, 99), labels.reshape(-1))
    mlm_loss = out.mlm_loss if cls is BertForPreTraining else out.loss
    torch.testing.assert_close(mlm_loss, loss)
    mlm_loss.backward()
    loss.backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters(), strict=True):
        assert (p.grad is None) == (q.grad is None), name  # the pooler and NSP get none
        if p.grad is not None:
            torch.testing.assert_close(p.grad, q.grad, msg=name)


def test_unlabelled_positions_are_ignored_by_the_token_loss(batch):
    ids, mask = batch
    model = BertForTokenClassification(tiny_config(num_labels=5)).eval()
    labels = torch.randint(0, 5, (B, T))
    labels[mask == 0] = -100
    out = model(ids, attention_mask=mask, labels=labels)
    assert out.logits.shape == (B, T, 5)
    keep = labels != -100
    expected = torch.nn.functional.cross_entropy(out.logits[keep], labels[keep])
    torch.testing.assert_close(out.loss, expected)


def test_one_label_means_regression_with_mse(batch):
    ids, mask = batch
    model = BertForSequenceClassification(tiny_config(num_labels=1)).eval()
    scores = torch.tensor([0.5, 3.0, 4.2])
    out = model(ids, attention_mask=mask, labels=scores)
    assert out.logits.shape == (B, 1)
    torch.testing.assert_close(out.loss, ((out.logits.squeeze(-1) - scores) ** 2).mean())


def test_classification_uses_cross_entropy(batch):
    ids, mask = batch
    model = BertForSequenceClassification(tiny_config(num_labels=3)).eval()
    labels = torch.tensor([0, 2, 1])
    out = model(ids, attention_mask=mask, labels=labels)
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(out.logits, labels))


def test_qa_ignores_answers_outside_the_window(batch):
    ids, mask = batch
    model = BertForQuestionAnswering(tiny_config()).eval()
    out = model(ids, attention_mask=mask)
    assert out.start_logits.shape == out.end_logits.shape == (B, T)
    inside = model(ids[:1], start_positions=torch.tensor([2]), end_positions=torch.tensor([4]))
    outside = model(
        ids[:2],
        start_positions=torch.tensor([2, 50]),
        end_positions=torch.tensor([4, 60]),
    )
    torch.testing.assert_close(inside.loss, outside.loss)


@pytest.mark.parametrize("unpad", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_qa_argmax_never_lands_in_padding(unpad, dtype):
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, 99, (4, 12), generator=g)
    mask = torch.ones(4, 12, dtype=torch.long)
    for row, length in enumerate([12, 3, 7, 5]):
        mask[row, length:] = 0
    model = BertForQuestionAnswering(tiny_config(), unpad=unpad).eval()
    with torch.no_grad():  # a trained model's scores are mostly negative: padding used to win
        model.qa.bias.fill_(-20.0)
    model = model.to(dtype)
    start, end = torch.tensor([0, 1, 6, 2]), torch.tensor([3, 2, 6, 4])
    out = model(ids, attention_mask=mask, start_positions=start, end_positions=end)
    is_pad = mask == 0
    for logits in (out.start_logits, out.end_logits):
        assert logits.dtype == dtype
        assert not is_pad.gather(1, logits.argmax(-1, keepdim=True)).any()
        assert torch.all(logits[is_pad] == torch.finfo(dtype).min)
        probs = logits.float().softmax(-1)
        assert torch.all(probs[is_pad] == 0)
        torch.testing.assert_close(probs.sum(-1), torch.ones(4))
    # Real positions, and the loss, are what the head computes from the encoder's output.
    raw = model.qa(model.bert(ids, attention_mask=mask).last_hidden_state)  # (B, T, 2)
    raw_start, raw_end = raw.unbind(-1)
    assert torch.equal(out.start_logits[~is_pad], raw_start[~is_pad])
    assert torch.equal(out.end_logits[~is_pad], raw_end[~is_pad])
    expected = (
        torch.nn.functional.cross_entropy(raw_start, start)
        + torch.nn.functional.cross_entropy(raw_end, end)
    ) / 2
    torch.testing.assert_close(out.loss, expected)


def test_multiple_choice_scores_each_choice(batch):
    ids, mask = batch
    K = 4
    model = BertForMultipleChoice(tiny_config()).eval()
    out = model(
        ids[:, None].expand(B, K, T),
        attention_mask=mask[:, None].expand(B, K, T),
        labels=torch.tensor([0, 3, 1]),
    )
    assert out.logits.shape == (B, K)
    assert out.loss is not None
