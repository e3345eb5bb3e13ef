"""The one real pretrained BERT available offline (all-MiniLM-L6-v2) against its references."""

import json

import pytest
import torch

from bertkit import BertModel
from bertkit.interop.sentence_transformers import read_layout
from bertkit.model.pooling import pool
from tests.conftest import need_file


@pytest.fixture(scope="module")
def reference(data_dir):
    return json.loads(need_file(data_dir / "golden" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def minilm(minilm_dir):
    return BertModel.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def batch(reference):
    return {
        key: torch.tensor(reference[key])
        for key in ("input_ids", "token_type_ids", "attention_mask")
    }


@pytest.fixture(scope="module")
def layout(minilm_dir):
    return read_layout(minilm_dir)


def test_minilm_declares_mean_pooling_normalisation_and_256_tokens(minilm, layout):
    assert minilm.config.num_hidden_layers == 6 and minilm.config.hidden_size == 384
    assert layout.pooling.mode == "mean" and layout.pooling.normalize
    assert layout.max_seq_length == 256


def test_hidden_states_equal_the_golden_reference(minilm, batch, reference):
    with torch.no_grad():
        out = minilm(**batch, output_hidden_states=True)
    n = int(batch["attention_mask"][0].sum())
    golden = torch.tensor(reference["last_hidden_state_sentence0"])
    torch.testing.assert_close(out.last_hidden_state[0, :n], golden, atol=1e-5, rtol=0)
    golden = torch.tensor(reference["embedding_output_sentence0"])
    torch.testing.assert_close(out.hidden_states[0][0, :n], golden, atol=1e-5, rtol=0)
    cls_all_layers = torch.stack([h[0, 0] for h in out.hidden_states])
    golden = torch.tensor(reference["hidden_states_sentence0_token0_all_layers"])
    torch.testing.assert_close(cls_all_layers, golden, atol=1e-5, rtol=0)
    golden = torch.tensor(reference["pooler_output_first2"])
    torch.testing.assert_close(out.pooler_output[:2], golden, atol=1e-5, rtol=0)


def test_sentence_embeddings_equal_the_sentence_transformers_definition(
    minilm, layout, batch, reference
):
    with torch.no_grad():
        hidden = minilm(**batch).last_hidden_state
    ours = pool(hidden, batch["attention_mask"], layout.pooling.mode, layout.pooling.normalize)
    golden = torch.tensor(reference["embeddings"])
    cosine = torch.nn.functional.cosine_similarity(ours, golden)
    assert cosine.min() >= 0.99999
    torch.testing.assert_close(
        ours @ ours.T, torch.tensor(reference["cosine_similarity"]), atol=1e-5, rtol=0
    )


def test_hidden_states_equal_transformers_on_the_real_checkpoint(minilm, minilm_dir, batch):
    transformers = pytest.importorskip("transformers")
    theirs = transformers.BertModel.from_pretrained(minilm_dir).eval()
    with torch.no_grad():
        a = minilm(**batch, output_hidden_states=True)
        b = theirs(**batch, output_hidden_states=True)
    real = batch["attention_mask"].bool()  # the default unpadded model: zeros at padding
    for mine, ref in zip(a.hidden_states, b.hidden_states, strict=True):
        torch.testing.assert_close(mine[real], ref[real], atol=1e-5, rtol=0)
    torch.testing.assert_close(a.pooler_output, b.pooler_output, atol=1e-5, rtol=0)


def test_round_trip_through_our_save_keeps_every_weight(minilm, tmp_path):
    minilm.save_pretrained(tmp_path)
    again = BertModel.from_pretrained(tmp_path)
    for key, value in minilm.state_dict().items():
        assert torch.equal(again.state_dict()[key], value), key
