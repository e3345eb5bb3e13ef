"""Pretraining: accumulation equals one big batch, exact resume, overfitting one batch; MLM-only
and continued pretraining (step 0 is the source model)."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from bertkit.data.dataset import PretrainingData
from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.errors import BertkitError
from bertkit.model import BertForPreTraining
from bertkit.model.config import BertConfig
from bertkit.tokenizer import WordPieceTokenizer
from bertkit.train import TrainConfig, train
from bertkit.train.pretrain import (
    PretrainConfig,
    build_model,
    count_pretraining,
    model_config,
    pretrain,
    pretraining_step,
)


def run_pretrain(data, model_config, out_dir, resume=False, **train_options):
    options = dict(max_steps=6, batch_size=4, lr=1e-3, log_every=1, progress=False, seed=5)
    config = TrainConfig(out_dir=str(out_dir), **{**options, **train_options})
    return pretrain(PretrainConfig(data=str(data), model=str(model_config)), config, resume)


def weights(run_dir):
    return load_file(run_dir / "model" / "model.safetensors")


def train_losses(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


def assert_same_weights(a, b, rtol=1e-5, atol=1e-6):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=rtol, atol=atol, msg=key)


def tiny_model(model_config):
    torch.manual_seed(0)
    config = BertConfig(**json.loads(model_config.read_text()))
    return BertForPreTraining(config)


def gradients(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def test_accumulated_micro_batches_give_the_loss_and_gradients_of_one_big_batch(
    tiny_data, tiny_model_config
):
    data = PretrainingData(tiny_data, "train")
    model = tiny_model(tiny_model_config)
    big = data.collate(np.arange(8), epoch=0)
    loss, _ = pretraining_step(model, big, count_pretraining(big))
    loss.backward()
    big_grads = gradients(model)

    model.zero_grad()
    micro = [data.collate(np.arange(i, i + 2), epoch=0) for i in range(0, 8, 2)]
    masked = [count_pretraining(b)["masked_tokens"] for b in micro]
    assert len(set(masked)) > 1, "micro-batches with unequal masked counts make the test bite"
    totals = {k: sum(count_pretraining(b)[k] for b in micro) for k in count_pretraining(big)}
    accumulated = 0.0
    for batch in micro:
        part, _ = pretraining_step(model, batch, totals)
        part.backward()
        accumulated += part.item()
    assert accumulated == pytest.approx(loss.item(), rel=1e-5)
    for name, grad in gradients(model).items():
        torch.testing.assert_close(grad, big_grads[name], rtol=1e-4, atol=1e-6, msg=name)

    # The bug this guards against: a mean of per-micro-batch means is a different number.
    with torch.no_grad():
        means = [pretraining_step(model, b, count_pretraining(b))[0].item() for b in micro]
    assert np.mean(means) != pytest.approx(loss.item(), rel=1e-4)


def test_grad_accum_run_matches_a_run_with_a_k_times_larger_batch(
    tiny_data, tiny_model_config, tmp_path
):
    run_pretrain(tiny_data, tiny_model_config, tmp_path / "big", max_steps=3, batch_size=8)
    run_pretrain(
        tiny_data,
        tiny_model_config,
        tmp_path / "acc",
        max_steps=3,
        batch_size=2,
        grad_accum_steps=4,
    )
    assert train_losses(tmp_path / "acc") == pytest.approx(train_losses(tmp_path / "big"), rel=1e-5)
    assert_same_weights(weights(tmp_path / "acc"), weights(tmp_path / "big"))


def test_resume_after_a_crash_gives_the_uninterrupted_weights_and_losses(
    tiny_data, tiny_model_config_with_dropout, tmp_path, monkeypatch
):
    run_pretrain(tiny_data, tiny_model_config_with_dropout, tmp_path / "straight", save_every=2)

    calls = []

    def crashing_step(model, batch, totals):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # as a user pressing ctrl-c during step 5
        return pretraining_step(model, batch, totals)

    monkeypatch.setattr("bertkit.train.pretrain.pretraining_step", crashing_step)
    with pytest.raises(KeyboardInterrupt):
        run_pretrain(tiny_data, tiny_model_config_with_dropout, tmp_path / "crashed", save_every=2)
    monkeypatch.undo()
    run_pretrain(
        tiny_data, tiny_model_config_with_dropout, tmp_path / "crashed", save_every=2, resume=True
    )
    assert_same_weights(weights(tmp_path / "crashed"), weights(tmp_path / "straight"), 0, 0)
    assert train_losses(tmp_path / "crashed") == train_losses(tmp_path / "straight")


def test_overfits_one_batch(tiny_data, tiny_model_config, tmp_path):
    data = PretrainingData(tiny_data, "train")
    batch = data.collate(np.arange(8), epoch=0)

    class SameBatch:
        def __iter__(self):
            while True:
                yield batch

        def state_dict(self):
            return {}

        def load_state_dict(self, state):
            pass

    model = tiny_model(tiny_model_config)
    config = TrainConfig(
        out_dir=str(tmp_path), max_steps=60, lr=1e-2, warmup_steps=0, log_every=5, progress=False
    )
    result = train(model, config, SameBatch(), pretraining_step, count=count_pretraining)
    first = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    assert first["loss"] > 4 and result.train["loss"] < 0.5
    assert result.train["mlm_acc"] > 0.9 and result.train["nsp_acc"] == 1.0


@pytest.fixture(scope="module")
def minilm_data(minilm_dir, tmp_path_factory):
    """MLM-only data tokenized with all-MiniLM-L6-v2's own vocabulary (no NSP pairs)."""
    root = tmp_path_factory.mktemp("minilm-data")
    topics = ["river", "garden", "market", "library", "harbour", "forest"]
    lines = []
    for i, topic in enumerate(topics * 4):
        lines += [
            f"The {topic} was quiet early in the morning of day {i}.",
            f"People came to the {topic} to walk, to talk and to rest.",
            f"By noon the {topic} was full of children and their parents.",
            "",
        ]
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir)
    config = PrepareConfig(max_seq_length=32, nsp=False, eval_fraction=0.2, seed=1)
    prepare_pretraining([corpus], tokenizer, root / "data", config, progress=False)
    return root / "data"


def test_continued_pretraining_starts_from_the_source_models_exact_weights(
    minilm_dir, minilm_data, tmp_path
):
    transformers = pytest.importorskip("transformers")
    config = PretrainConfig(data=str(minilm_data), init_from=str(minilm_dir), objective="mlm")
    data = PretrainingData(minilm_data, "train")
    architecture = model_config(str(minilm_dir), len(data.tokenizer), data.max_seq_length)
    model = build_model(config, architecture).eval()
    source = transformers.BertModel.from_pretrained(minilm_dir).eval()
    batch = data.collate(np.arange(4), epoch=0)
    inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
    with torch.no_grad():
        ours = model.bert(**inputs, output_hidden_states=True).hidden_states
        theirs = source(**inputs, output_hidden_states=True).hidden_states
    assert len(ours) == len(theirs) == 7  # embeddings + 6 layers
    real = inputs["attention_mask"].bool()
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a[real], b[real], rtol=1e-5, atol=1e-5)
    # The decoder is the embedding matrix itself: only the transform and the bias are new.
    assert model.mlm.bias.abs().sum() == 0
    tok_emb = source.embeddings.word_embeddings.weight
    assert torch.equal(model.bert.embeddings.tok_emb.weight.detach(), tok_emb.detach())

    # The same through `pretrain`: one step of a negligible learning rate leaves the encoder as it
    # was, and the saved model is a BertForMaskedLM transformers reads with a tied decoder.
    train_config = TrainConfig(
        out_dir=str(tmp_path / "run"), max_steps=1, batch_size=4, lr=1e-12, progress=False
    )
    result = pretrain(config, train_config)
    assert set(result.eval) >= {"mlm_loss", "mlm_acc"} and "nsp_loss" not in result.eval
    saved = transformers.BertForMaskedLM.from_pretrained(tmp_path / "run" / "model").eval()
    with torch.no_grad():
        after = saved.bert(**inputs, output_hidden_states=True).hidden_states
    for a, b in zip(after, theirs, strict=True):
        torch.testing.assert_close(a[real], b[real], rtol=1e-4, atol=1e-4)
    assert torch.equal(
        saved.cls.predictions.decoder.weight, saved.bert.embeddings.word_embeddings.weight
    )


def test_continued_pretraining_needs_data_in_the_models_vocabulary(minilm_dir, tiny_data, tmp_path):
    config = PretrainConfig(data=str(tiny_data), init_from=str(minilm_dir))
    train_config = TrainConfig(out_dir=str(tmp_path), max_steps=1, progress=False)
    with pytest.raises(BertkitError, match="--vocab-from"):
        pretrain(config, train_config)


def test_mlm_objective_trains_and_saves_no_nsp_head(tiny_model_config, tmp_path):
    from tests.data.synthetic import write_corpus, write_vocab

    tokenizer = WordPieceTokenizer.from_pretrained(write_vocab(tmp_path / "vocab"))
    corpus = write_corpus(tmp_path / "corpus.txt", num_docs=40)
    prepare = PrepareConfig(max_seq_length=32, nsp=False, eval_fraction=0.1, seed=1)
    prepare_pretraining([corpus], tokenizer, tmp_path / "data", prepare, progress=False)
    config = PretrainConfig(
        data=str(tmp_path / "data"), model=str(tiny_model_config), objective="mlm",
        mlm_probability=0.3,
    )  # fmt: skip
    train_config = TrainConfig(
        out_dir=str(tmp_path / "run"), max_steps=8, batch_size=8, lr=1e-3, log_every=1,
        progress=False,
    )  # fmt: skip
    pretrain(config, train_config)
    losses = train_losses(tmp_path / "run")
    assert losses[-1] < losses[0]
    saved = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    assert saved["architectures"] == ["BertForMaskedLM"]
    assert not any("seq_relationship" in k for k in weights(tmp_path / "run"))

    with pytest.raises(BertkitError, match="--objective mlm"):
        pretrain(PretrainConfig(data=str(tmp_path / "data"), model=str(tiny_model_config)),
                 train_config)  # fmt: skip


def test_training_the_heads_only_leaves_the_encoder_as_it_was(
    tiny_data, tiny_model_config, tmp_path
):
    run_pretrain(tiny_data, tiny_model_config, tmp_path / "first", max_steps=2)
    config = PretrainConfig(
        data=str(tiny_data), init_from=str(tmp_path / "first" / "model"), train_heads_only=True
    )
    train_config = TrainConfig(
        out_dir=str(tmp_path / "heads"), max_steps=3, batch_size=4, lr=1e-2, progress=False
    )
    pretrain(config, train_config)
    before, after = weights(tmp_path / "first"), weights(tmp_path / "heads")
    assert before.keys() == after.keys()
    encoder = [k for k in before if k.startswith("bert.")]
    heads = [k for k in before if k.startswith("cls.") and "decoder" not in k]
    assert encoder and heads
    for key in encoder:  # the embeddings too, though the decoder shares them
        assert torch.equal(before[key], after[key]), key
    assert any(not torch.equal(before[key], after[key]) for key in heads)
