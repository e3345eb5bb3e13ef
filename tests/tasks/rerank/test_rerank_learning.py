"""The cross-encoder learns: its training steps equal transformers' on the same weights and
batches, and all-MiniLM-L6-v2's encoder with a fresh head overfits a few real SQuAD groups.

A reranker that scores at random after training (a wrong logit, a wrong target index, segment or
padding ids that differ from what the model expects, a gradient that stops at the head) fails one
of these; a flat loss over a handful of distinct groups alone is not a bug (the head starts near
zero and needs steps), so the real-data property trains on a few groups repeated.
"""

import json

import pytest
import torch
import torch.nn.functional as F

from bertkit.tasks.finetune import evaluate, finetune
from bertkit.tasks.rerank.task import RerankConfig
from bertkit.tokenizer import WordPieceTokenizer
from tests.conftest import need_file
from tests.tasks.rerank.conftest import write_groups_jsonl


@pytest.mark.hf
def test_training_steps_equal_transformers_on_the_same_batches(tiny_model_dir, tmp_path):
    from transformers import BertForSequenceClassification

    train = write_groups_jsonl(tmp_path / "train.jsonl", rows=12, negatives=3, seed=2)
    config = RerankConfig(model=str(tiny_model_dir), train=str(train), out="", max_seq_length=32)
    task = config.task()
    tokenizer = WordPieceTokenizer.from_pretrained(config.model)
    features = task.read_train(tokenizer).features
    torch.manual_seed(0)
    ours = task.build_model()
    ours.save_pretrained(tmp_path / "start")
    theirs = BertForSequenceClassification.from_pretrained(tmp_path / "start")
    ours.eval(), theirs.eval()  # no dropout: the two runs see the same function
    # Plain SGD: an update linear in the gradient, so float noise stays noise (Adam would turn a
    # near-zero gradient's sign into a full step); a large rate, since the gradients are tiny.
    opt_ours = torch.optim.SGD(ours.parameters(), lr=10.0)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=10.0)
    encoder = next(p for n, p in ours.named_parameters() if ".encoder." in n)
    encoder_before = encoder.detach().clone()
    losses = []
    for start in (0, 4, 8, 0, 4, 8):
        batch = task.collate(features[start : start + 4], tokenizer.pad_token_id)
        loss = ours(**batch).loss
        logits = theirs(
            input_ids=batch["input_ids"],
            token_type_ids=batch["token_type_ids"],
            attention_mask=batch["attention_mask"],
        ).logits.view(4, 4)  # (B G, 1) -> (B, G); the positive is each group's first
        reference = F.cross_entropy(logits, torch.zeros(4, dtype=torch.long))
        assert loss.item() == pytest.approx(reference.item(), abs=1e-5)
        losses.append(loss.item())
        for optimizer, value in ((opt_ours, loss), (opt_theirs, reference)):
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
    # The second pass over the same three batches scores lower than the first (the tiny random
    # model's logits start almost equal, so its loss moves little, but it moves down).
    assert sum(losses[3:]) < sum(losses[:3])
    # The gradient reached the encoder, and both networks moved the same way.
    assert not torch.allclose(encoder, encoder_before)
    batch = task.collate(features, tokenizer.pad_token_id)
    with torch.no_grad():
        mine = ours(**{k: v for k, v in batch.items() if k != "labels"}).logits
        reference = theirs(
            input_ids=batch["input_ids"],
            token_type_ids=batch["token_type_ids"],
            attention_mask=batch["attention_mask"],
        ).logits
    torch.testing.assert_close(mine, reference, atol=1e-5, rtol=1e-4)


def _squad_groups(data_dir, count: int) -> list[dict]:
    """`count` (question, its paragraph, another paragraph of the same article) groups."""
    squad = need_file(data_dir / "squad-v1.1" / "dev-v1.1.json")
    articles = json.loads(squad.read_text(encoding="utf-8"))["data"]
    rows = []
    for article in articles[:count]:
        first, second = article["paragraphs"][:2]
        rows.append(
            {
                "query": first["qas"][0]["question"],
                "positive": first["context"],
                "negative_1": second["context"],
            }
        )
    return rows


@pytest.mark.slow
def test_minilm_cross_encoder_overfits_real_groups(minilm_dir, data_dir, tmp_path):
    rows = _squad_groups(data_dir, 4)
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    config = RerankConfig(
        model=str(minilm_dir), train=str(train), eval="", out=str(out), batch_size=4,
        epochs=8, lr=2e-4, warmup_ratio=0.0, device="cpu", max_seq_length=64, log_every=1, seed=1,
    )  # fmt: skip
    finetune(config)
    lines = (out / "train" / "metrics.jsonl").read_text().splitlines()
    losses = [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]
    after = evaluate(RerankConfig(model=str(out), eval=str(train), max_seq_length=64))
    assert after["recall@1"] == 1.0
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.15
