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


@pytest.mark.slow
def test_serve_reranks_with_the_trained_directory(minilm_reranker, tmp_path):
    """`bertkit serve --model rr=DIR`: /rerank scores are CrossEncoder's (sigmoid of the logit)."""
    import httpx

    from tests.serve.server import Server

    server = Server(["--model", f"rr={minilm_reranker}"], tmp_path / "server.log")
    try:
        query, texts = PAIRS[0][0], [p for _, p in PAIRS]
        got = httpx.post(
            server.url + "/rerank", json={"query": query, "texts": texts}, timeout=60
        ).json()
    finally:
        assert server.stop() == 0
    model = BertForSequenceClassification.from_pretrained(minilm_reranker).eval()
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_reranker)
    with torch.no_grad():
        logits = [
            model(torch.tensor([e.input_ids]), torch.tensor([e.token_type_ids])).logits.item()
            for e in (tokenizer.encode(query, t) for t in texts)
        ]
    expected = torch.sigmoid(torch.tensor(logits))
    assert [x["index"] for x in got] == torch.argsort(expected, descending=True).tolist()
    scores = torch.tensor([x["score"] for x in got])
    torch.testing.assert_close(scores, expected.sort(descending=True).values, atol=1e-5, rtol=0)


def test_search_reranks_an_index_with_the_trained_directory(
    minilm_reranker, minilm_dir, tmp_path, capsys
):
    """`bertkit search --index ... --rerank-model DIR`: hits ordered by the reranker's logits."""
    from bertkit.cli.main import main
    from bertkit.index import build_index

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(sorted({p for _, p in PAIRS})) + "\n")
    build_index(minilm_dir, [corpus], tmp_path / "index")
    query = PAIRS[2][0]
    argv = ["search", "--index", str(tmp_path / "index"), "--rerank-model", str(minilm_reranker)]
    assert main(argv + ["-k", "4", "--json", "--device", "cpu", query]) == 0
    hits = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    texts = [h["text"] for h in hits]
    labels = ClassifyPipeline(minilm_reranker, device="cpu")([query] * len(texts), texts)
    expected = [label.score for label in labels]  # type: ignore[union-attr]
    assert [h["score"] for h in hits] == pytest.approx(expected, abs=1e-5)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
