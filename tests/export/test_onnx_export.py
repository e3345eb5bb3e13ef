"""ONNX export: every head matches bertkit in ONNX Runtime, plain and optimized, on shapes and
padding the trace never saw; token_type_ids stays an input; a mismatch is a clear error."""

import json

import numpy as np
import pytest
import torch

import bertkit
from bertkit.cli.main import main
from bertkit.errors import BertkitError
from bertkit.export import export_onnx
from bertkit.export.verify import differences, onnx_session, random_inputs
from tests.export.conftest import HEAD_CLASSES

OUTPUTS = {
    "encoder": ["last_hidden_state"],
    "sequence-classification": ["logits"],
    "token-classification": ["logits"],
    "question-answering": ["start_logits", "end_logits"],
    "masked-lm": ["logits"],
}


def bertkit_outputs(model_dir, head, inputs) -> dict[str, np.ndarray]:
    """The reference: bertkit's default model (fused attention, unpadding) in fp32."""
    model = getattr(bertkit, HEAD_CLASSES[head][0]).from_pretrained(model_dir)
    with torch.inference_mode():
        out = model(
            torch.from_numpy(inputs["input_ids"]),
            torch.from_numpy(inputs["token_type_ids"]),
            torch.from_numpy(inputs["attention_mask"]),
        )
    return {name: getattr(out, name).float().numpy() for name in OUTPUTS[head]}


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimized"])
@pytest.mark.parametrize("head", list(OUTPUTS))
def test_every_head_matches_bertkit_in_onnx_runtime_on_unseen_shapes(
    head, optimize, tiny_dirs, exported
):
    session = onnx_session(exported[head, optimize] / "model.onnx")
    assert [i.name for i in session.get_inputs()] == [
        "input_ids",
        "attention_mask",
        "token_type_ids",
    ]
    assert [o.name for o in session.get_outputs()] == OUTPUTS[head]
    for i in session.get_inputs():  # dynamic axes stay symbolic, not the traced 2 x 8
        assert all(isinstance(dim, str) for dim in i.shape), i.shape
    rng = np.random.default_rng(7)
    for batch, length in ((1, 64), (5, 19), (17, 3)):
        inputs = random_inputs(rng, batch, length, 30522, 2)
        actual = dict(zip(OUTPUTS[head], session.run(OUTPUTS[head], inputs), strict=True))
        expected = bertkit_outputs(tiny_dirs[head], head, inputs)
        for name in OUTPUTS[head]:
            diff, cosine = differences(name, expected[name], actual[name], inputs["attention_mask"])
            if cosine is None:
                assert diff <= 1e-4, (name, batch, length, diff)
            else:
                assert cosine >= 0.99999, (name, batch, length, cosine)


def test_token_type_ids_reach_the_graph_even_when_exported_from_zeros(exported):
    session = onnx_session(exported["sequence-classification", True] / "model.onnx")
    inputs = random_inputs(np.random.default_rng(0), 4, 12, 30522, 1)  # all segments 0
    zeros = session.run(["logits"], inputs)[0]
    inputs["token_type_ids"] = inputs["attention_mask"].copy()  # segment 1 on real tokens
    ones = session.run(["logits"], inputs)[0]
    assert np.abs(zeros - ones).max() > 1e-3


def test_exported_directory_is_a_complete_model_directory(tiny_dirs, exported):
    out = exported["sequence-classification", False]
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"] == {"0": "negative", "1": "neutral", "2": "positive"}
    assert (out / "vocab.txt").read_bytes() == (tiny_dirs["encoder"] / "vocab.txt").read_bytes()
    assert not list(out.glob("*.safetensors"))
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimized"])
def test_minilm_sentence_embedding_matches_sentence_transformers_pooling(
    optimize, minilm_dir, minilm_onnx
):
    out = minilm_onnx[optimize]
    assert (out / "modules.json").exists() and (out / "1_Pooling" / "config.json").exists()
    session = onnx_session(out / "model.onnx")
    assert [o.name for o in session.get_outputs()] == ["last_hidden_state", "sentence_embedding"]
    tokenizer = bertkit.WordPieceTokenizer.from_pretrained(minilm_dir)
    texts = ["A man is playing a guitar.", "The bank is on the river.", "Short.", "x " * 200]
    rows = tokenizer.encode_batch(texts, max_length=256)
    width = max(len(r.input_ids) for r in rows)
    inputs = {
        "input_ids": np.array([r.input_ids + [0] * (width - len(r.input_ids)) for r in rows]),
        "attention_mask": np.array(
            [[1] * len(r.input_ids) + [0] * (width - len(r.input_ids)) for r in rows]
        ),  # fmt: skip
        "token_type_ids": np.zeros((len(rows), width), dtype=np.int64),
    }
    actual = session.run(["sentence_embedding"], inputs)[0]
    model = bertkit.BertModel.from_pretrained(minilm_dir)
    with torch.inference_mode():
        mask = torch.from_numpy(inputs["attention_mask"])
        hidden = model(torch.from_numpy(inputs["input_ids"]), None, mask).last_hidden_state
        summed = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        expected = torch.nn.functional.normalize(summed, dim=-1).numpy()
    cosine = (actual * expected).sum(-1) / np.linalg.norm(actual, axis=-1)
    assert cosine.min() >= 0.99999
    assert np.abs(np.linalg.norm(actual, axis=-1) - 1).max() < 1e-5


def test_a_mismatch_is_an_error_naming_the_output_and_leaves_nothing(tiny_dirs, tmp_path):
    target = tmp_path / "out"
    with pytest.raises(BertkitError, match=r"output logits differs from bertkit by .* > -1"):
        export_onnx(tiny_dirs["masked-lm"], target, atol=-1.0)
    assert not target.exists() and not list(tmp_path.iterdir())


def test_cli_export_reports_parity_and_refuses_an_unexportable_model(tiny_dirs, tmp_path, capsys):
    assert main(["export", "onnx", "--model", str(tiny_dirs["question-answering"]),
                 "--out", str(tmp_path / "qa"), "--opset", "14"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "start_logits: max |difference|" in err and "wrote question-answering" in err
    config = json.loads((tiny_dirs["encoder"] / "config.json").read_text())
    bad = tmp_path / "bad"
    bad.mkdir()
    config["architectures"] = ["BertForMultipleChoice"]
    (bad / "config.json").write_text(json.dumps(config))
    assert main(["export", "onnx", "--model", str(bad), "--out", str(tmp_path / "mc")]) == 2
    assert "cannot export a BertForMultipleChoice" in capsys.readouterr().err
