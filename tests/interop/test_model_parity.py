"""Same random weights, loaded by bertkit and by transformers: same outputs, for every head."""

import pytest
import torch

import bertkit
from tests.model.tiny import tiny_config

transformers = pytest.importorskip("transformers")

HEADS = [
    "BertModel",
    "BertForPreTraining",
    "BertForMaskedLM",
    "BertForSequenceClassification",
    "BertForTokenClassification",
    "BertForQuestionAnswering",
    "BertForMultipleChoice",
]
OUTPUTS = [
    "last_hidden_state",
    "pooler_output",
    "prediction_logits",
    "seq_relationship_logits",
    "logits",
    "start_logits",
    "end_logits",
]


def num_labels(name: str) -> int:
    # transformers sizes qa_outputs by num_labels, and QA needs exactly 2 (start, end).
    return 2 if name == "BertForQuestionAnswering" else 3


def make_batch(name: str, padded: bool) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    shape = (2, 3, 10) if name == "BertForMultipleChoice" else (3, 10)
    ids = torch.randint(1, 99, shape, generator=g)
    types = torch.zeros_like(ids)
    types[..., 6:] = 1
    mask = torch.ones_like(ids)
    if padded:
        mask[..., 1, 7:] = 0
        mask[..., -1, 4:] = 0
        ids = ids.masked_fill(mask == 0, 0)
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def assert_same_outputs(ours, theirs, batch) -> int:
    """Every output equal at the real positions (bertkit's default unpadded model leaves zeros at
    padding positions, where transformers computes values that nothing should read)."""
    with torch.no_grad():
        a = ours(**batch)
        b = theirs(**batch)
    real = batch["attention_mask"].bool()
    compared = 0
    for name in OUTPUTS:
        mine = getattr(a, name, None)
        if mine is None:
            continue
        ref = getattr(b, name)
        if mine.shape[: real.dim()] == real.shape:  # one value per token
            mine, ref = mine[real], ref[real]
        torch.testing.assert_close(mine, ref, atol=1e-5, rtol=0, msg=name)
        compared += 1
    return compared


@pytest.mark.parametrize("padded", [False, True], ids=["unpadded", "padded"])
@pytest.mark.parametrize("name", HEADS)
def test_bertkit_weights_load_in_transformers_with_equal_outputs(name, padded, tmp_path):
    torch.manual_seed(0)
    ours = getattr(bertkit, name)(tiny_config(num_labels=num_labels(name))).eval()
    ours.save_pretrained(tmp_path)
    theirs, info = getattr(transformers, name).from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    assert assert_same_outputs(ours, theirs.eval(), make_batch(name, padded)) > 0


@pytest.mark.parametrize("padded", [False, True], ids=["unpadded", "padded"])
@pytest.mark.parametrize("name", HEADS)
def test_transformers_weights_load_in_bertkit_with_equal_outputs(name, padded, tmp_path):
    torch.manual_seed(0)
    hf_config = transformers.BertConfig(**tiny_config(num_labels=num_labels(name)).to_dict())
    theirs = getattr(transformers, name)(hf_config).eval()
    theirs.save_pretrained(tmp_path)
    ours = getattr(bertkit, name).from_pretrained(tmp_path)
    assert assert_same_outputs(ours, theirs, make_batch(name, padded)) > 0


@pytest.mark.parametrize("backend", ["eager", "sdpa"])
def test_attention_probabilities_match_transformers_eager(backend, tmp_path):
    torch.manual_seed(0)
    bertkit.BertModel(tiny_config()).save_pretrained(tmp_path)
    ours = bertkit.BertModel.from_pretrained(tmp_path, attn_backend=backend, unpad=False)
    theirs = transformers.BertModel.from_pretrained(tmp_path, attn_implementation="eager").eval()
    batch = make_batch("BertModel", padded=True)
    with torch.no_grad():
        a = ours(**batch, output_attentions=True, output_hidden_states=True)
        b = theirs(**batch, output_attentions=True, output_hidden_states=True)
    for mine, ref in zip(
        a.attentions + a.hidden_states, b.attentions + b.hidden_states, strict=True
    ):
        torch.testing.assert_close(mine, ref, atol=1e-5, rtol=0)
