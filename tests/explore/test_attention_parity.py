"""POST /attention returns transformers' `output_attentions` (eager) for a saved model, and cuts
long inputs with a count of what was cut."""

import httpx
import numpy as np
import pytest
import torch


def transformers_attentions(model_dir, text: str, pair: str | None):
    """Tokens, segment ids and (L, H, T, T) attention probabilities from transformers."""
    from transformers import BertModel, BertTokenizer

    tokenizer = BertTokenizer.from_pretrained(model_dir)
    model = BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    inputs = tokenizer(text, pair, return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs, output_attentions=True)
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    segments = inputs["token_type_ids"][0].tolist()
    return tokens, segments, torch.stack(out.attentions)[:, 0].numpy()  # (L, H, T, T)


@pytest.mark.hf
@pytest.mark.parametrize("pair", [None, "It was warm by the fire."])
def test_attention_route_equals_transformers_output_attentions(ui_server, tiny_dirs, pair):
    text = "The cat sat on the mat because it was tired."
    expected_tokens, segments, expected = transformers_attentions(tiny_dirs["mlm"], text, pair)
    body = {"text": text, "pair": pair, "model": "mlm"}
    got = httpx.post(ui_server.url + "/attention", json=body, timeout=60).json()
    assert got["tokens"] == expected_tokens
    attentions = np.asarray(got["attentions"])
    assert attentions.shape == expected.shape == (2, 4, len(expected_tokens), len(expected_tokens))
    np.testing.assert_allclose(attentions, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(attentions.sum(-1), 1, atol=1e-5)
    assert got["segments"] == segments and (1 in segments) == (pair is not None)


def test_long_inputs_are_cut_and_say_so(ui_server):
    text = "word " * 300
    got = httpx.post(
        ui_server.url + "/attention", json={"text": text, "model": "mlm", "max_tokens": 20}
    ).json()
    assert got["truncated"] and got["num_tokens"] == 302
    assert len(got["tokens"]) == 20 and np.asarray(got["attentions"]).shape[-1] == 20
    beyond = httpx.post(ui_server.url + "/attention", json={"text": text, "model": "mlm"}).json()
    assert beyond["truncated"] and len(beyond["tokens"]) == 64  # the tiny model's maximum


def test_attention_html_is_one_self_contained_file(tmp_path, tiny_dirs):
    from bertkit.cli.main import main

    out = tmp_path / "attention.html"
    assert (
        main(["attention", "--model", str(tiny_dirs["mlm"]), "Hello world", "--html", str(out)])
        == 0
    )
    page = out.read_text()
    assert (
        "BertkitAttention.render" in page and '"tokens":["[CLS]","hello","world","[SEP]"]' in page
    )
    assert "src=" not in page and "href=" not in page and "http" not in page.split("<script>")[0]
