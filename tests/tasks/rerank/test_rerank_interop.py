"""The reranker directory trained from MiniLM, scored by bertkit, transformers and
sentence-transformers' CrossEncoder: the same logits (and CrossEncoder's sigmoid of them)."""

import json

import pytest
import torch

from bertkit import BertForSequenceClassification
from bertkit.pipelines.classify import ClassifyPipeline
from bertkit.tasks.finetune import finetune
from bertkit.tasks.rerank.task import RerankConfig
from bertkit.tokenizer import WordPieceTokenizer

PAIRS = [
    ("who wrote the treaty?", "The treaty was drafted by a committee of five delegates."),
    ("who wrote the treaty?", "Rainfall in the valley peaks in late autumn."),
    ("when did the river flood?", "The river flooded in 1927, after months of heavy rain."),
    ("when did the river flood?", "A short treaty ended the war between the two kingdoms."),
]


@pytest.fixture(scope="module")
def minilm_reranker(minilm_dir, tmp_path_factory):
    """MiniLM's encoder with a one-output head, trained for two steps on four groups."""
    path = tmp_path_factory.mktemp("rerank")
    rows = [
        {"query": PAIRS[0][0], "positive": PAIRS[0][1], "negative_1": PAIRS[1][1]},
        {"query": PAIRS[2][0], "positive": PAIRS[2][1], "negative_1": PAIRS[3][1]},
    ] * 2
    train = path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = path / "out"
    config = RerankConfig(
        model=str(minilm_dir), train=str(train), eval=str(train), out=str(out),
        batch_size=2, epochs=1, lr=1e-4, device="cpu", max_seq_length=64,
    )  # fmt: skip
    finetune(config)
    return out


def _bertkit_logits(path) -> torch.Tensor:
    model = BertForSequenceClassification.from_pretrained(path).eval()
    tokenizer = WordPieceTokenizer.from_pretrained(path)
    rows = [tokenizer.encode(q, p) for q, p in PAIRS]
    with torch.no_grad():
        return torch.cat(
            [
                model(torch.tensor([r.input_ids]), torch.tensor([r.token_type_ids])).logits.view(-1)
                for r in rows
            ]
        )


@pytest.mark.hf
def test_transformers_loads_the_reranker_with_equal_logits(minilm_reranker):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    theirs = AutoModelForSequenceClassification.from_pretrained(minilm_reranker).eval()
    tokenizer = AutoTokenizer.from_pretrained(minilm_reranker)
    assert theirs.config.num_labels == 1
    batch = tokenizer(
        [q for q, _ in PAIRS], [p for _, p in PAIRS], padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        expected = theirs(**batch).logits.view(-1)
    ours = _bertkit_logits(minilm_reranker)
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)
    assert ours[0] > ours[1] or ours[2] > ours[3]  # a reranker, not noise: trained on these


@pytest.mark.hf
def test_sentence_transformers_cross_encoder_scores_the_sigmoid_of_the_logits(minilm_reranker):
    from sentence_transformers import CrossEncoder

    encoder = CrossEncoder(str(minilm_reranker), device="cpu")
    scores = torch.tensor(encoder.predict(PAIRS, convert_to_numpy=True))
    raw = torch.tensor(
        encoder.predict(PAIRS, activation_fn=torch.nn.Identity(), convert_to_numpy=True)
    )
    ours = _bertkit_logits(minilm_reranker)
    torch.testing.assert_close(raw, ours, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(scores, torch.sigmoid(ours), atol=1e-5, rtol=1e-5)


def test_the_classify_pipeline_scores_the_raw_logit(minilm_reranker):
    pipeline = ClassifyPipeline(minilm_reranker, device="cpu")
    labels = pipeline([q for q, _ in PAIRS], [p for _, p in PAIRS])
    assert all(label.label == "relevance" for label in labels)  # type: ignore[union-attr]
    scores = torch.tensor([label.score for label in labels])  # type: ignore[union-attr]
    torch.testing.assert_close(scores, _bertkit_logits(minilm_reranker), atol=1e-5, rtol=1e-5)
