"""`finetune` of the rerank task end to end on a tiny random model: both losses learn the rule
of the hand-made rows, and the best model directory is a one-logit classifier."""

import json

import pytest
import torch

from bertkit.tasks.finetune import evaluate, finetune
from bertkit.tasks.rerank.task import RerankConfig
from bertkit.tokenizer import WordPieceTokenizer
from tests.tasks.rerank.conftest import write_groups_jsonl, write_pairs_tsv

FAST = dict(batch_size=4, lr=2e-3, log_every=1, device="cpu", max_seq_length=32)


def _untrained_mrr(config: RerankConfig) -> float:
    task = config.task()
    tokenizer = WordPieceTokenizer.from_pretrained(config.model)
    torch.manual_seed(config.seed)
    metrics, _ = task.score(task.build_model(), task.read_eval(tokenizer), tokenizer.pad_token_id)
    return metrics["mrr@10"]


def test_listwise_training_raises_mrr_and_keeps_a_one_logit_classifier(tiny_model_dir, tmp_path):
    train = write_groups_jsonl(tmp_path / "train.jsonl", rows=48, seed=0)
    held_out = write_groups_jsonl(tmp_path / "eval.jsonl", rows=16, seed=1)
    out = tmp_path / "out"
    config = RerankConfig(
        model=str(tiny_model_dir), train=str(train), eval=str(held_out), out=str(out),
        epochs=4, **FAST,
    )  # fmt: skip
    before = _untrained_mrr(config)
    result = finetune(config)
    assert {"mrr@10", "recall@1", "ndcg@10"} <= set(result)
    assert result["mrr@10"] == 1.0 > before and result["recall@1"] == 1.0
    losses = [r["loss"] for r in _train_records(out)]
    assert losses[-1] < losses[0] - 0.1
    saved = json.loads((out / "config.json").read_text())
    assert saved["id2label"] == {"0": "relevance"} and saved.get("num_labels", 1) == 1
    assert {"model.safetensors", "vocab.txt", "tokenizer_config.json"} <= {
        p.name for p in out.iterdir()
    }
    again = evaluate(RerankConfig(model=str(out), eval=str(held_out)), tmp_path / "again.json")
    assert again["mrr@10"] == pytest.approx(result["mrr@10"])


def test_labeled_pairs_train_with_binary_cross_entropy(tiny_model_dir, tmp_path):
    train = write_pairs_tsv(tmp_path / "train.tsv", queries=24, seed=0)
    held_out = write_pairs_tsv(tmp_path / "eval.tsv", queries=6, seed=1)
    config = RerankConfig(
        model=str(tiny_model_dir), train=str(train), eval=str(held_out), out=str(tmp_path / "o"),
        epochs=10, **(FAST | {"batch_size": 8}),
    )  # fmt: skip
    result = finetune(config)
    # Rows of one query are ranked together: every relevant passage above every other one.
    assert result["mrr@10"] == result["ndcg@10"] == 1.0 and result["eval_examples"] <= 6
    losses = [r["loss"] for r in _train_records(tmp_path / "o")]
    # Steps of 8 rows are noisy: compare the last quarter's mean with the first steps' mean.
    first, last = losses[:5], losses[-len(losses) // 4 :]
    assert sum(last) / len(last) < sum(first) / len(first) - 0.03


def _train_records(out):
    lines = (out / "train" / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == "train"]
