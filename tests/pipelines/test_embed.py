"""embed and similarity: sentence-transformers' embeddings of all-MiniLM-L6-v2, its STS-B score,
every pooling and layer option, and the documented behaviour of empty and over-long texts."""

import json

import numpy as np
import pytest
import torch

from bertkit import BertkitError, BertModel
from bertkit.model.pooling import pool
from bertkit.pipelines import EmbedPipeline, SimilarityPipeline
from tests.conftest import need_file


@pytest.fixture(scope="module")
def embed(minilm_dir) -> EmbedPipeline:
    return EmbedPipeline(minilm_dir)


def sample_real_sentences(data_dir, per_set: int = 50) -> list[str]:
    """A deterministic sample (every k-th) of the sentences of several real sets."""

    def every(texts: list[str], n: int = per_set) -> list[str]:
        return texts[:: max(1, len(texts) // n)][:n]

    def column(path, index):
        rows = need_file(path).read_text(encoding="utf-8-sig").splitlines()[1:]
        return [row.split("\t")[index] for row in rows]

    conll, words = [], []
    for line in need_file(data_dir / "conll2003/eng.testa").read_text().splitlines():
        if line.strip() and not line.startswith("-DOCSTART-"):
            words.append(line.split()[0])
        elif words:
            conll, words = [*conll, " ".join(words)], []
    squad = json.loads(need_file(data_dir / "squad-v1.1/dev-v1.1.json").read_text())["data"]
    paragraphs = [p for article in squad for p in article["paragraphs"]]
    wiki = need_file(data_dir / "wikitext-2-raw/wiki.valid.raw").read_text().splitlines()
    return (
        every(column(data_dir / "sst2/dev.tsv", 0))
        + every(column(data_dir / "mrpc/dev.tsv", 3))
        + every(column(data_dir / "stsb/glue/dev.tsv", 8))
        + every(conll)
        + every([qa["question"] for p in paragraphs for qa in p["qas"]])
        + every([p["context"] for p in paragraphs], per_set // 5)  # long: many are cut at 256
        + every([line for line in wiki if line.strip()], per_set // 5)
    )


def transformers_embeddings(model_dir, texts: list[str]) -> np.ndarray:
    """The sentence-transformers definition: mean over the mask, L2-normalised, 256 tokens."""
    import transformers

    model = transformers.AutoModel.from_pretrained(model_dir).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), 32):
            inputs = tokenizer(
                texts[start : start + 32],
                padding=True,
                truncation=True,
                max_length=256,
                return_tensors="pt",
            )
            hidden = model(**inputs).last_hidden_state
            out.append(pool(hidden, inputs["attention_mask"], "mean", normalize=True))
    return torch.cat(out).numpy()


def test_embed_equals_the_golden_minilm_embeddings(embed, data_dir):
    golden = json.loads(need_file(data_dir / "golden/minilm_reference.json").read_text())
    vectors = embed(golden["sentences"])
    cosine = (vectors * np.array(golden["embeddings"])).sum(-1)
    assert cosine.min() >= 0.99999
    assert np.linalg.norm(vectors, axis=-1) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.hf
def test_embed_equals_transformers_mean_pooling_on_real_sentences(embed, minilm_dir, data_dir):
    texts = sample_real_sentences(data_dir)
    assert len(texts) > 250
    ours = embed(texts)
    theirs = transformers_embeddings(minilm_dir, texts)
    cosine = (
        (ours * theirs).sum(-1) / np.linalg.norm(ours, axis=-1) / np.linalg.norm(theirs, axis=-1)
    )
    assert cosine.min() >= 0.99999


@pytest.mark.hf
def test_a_model_sentence_transformers_saved_embeds_as_it_encodes(minilm_dir, data_dir, tmp_path):
    """sentence-transformers (on transformers 5) saves tokenizer.json and no vocab.txt."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_dir), device="cpu")
    model.save(str(tmp_path / "saved"))
    lines = need_file(data_dir / "sst2" / "dev.tsv").read_text(encoding="utf-8").splitlines()
    texts = [line.split("\t")[0] for line in lines[1:65]]
    ours = EmbedPipeline(tmp_path / "saved", device="cpu", dtype="float32")(texts)
    theirs = model.encode(texts, normalize_embeddings=True)
    assert (ours * theirs).sum(-1).min() >= 0.99999


def test_stsb_dev_spearman_equals_the_reference(minilm_dir, data_dir):
    from scipy.stats import spearmanr

    golden = json.loads(need_file(data_dir / "golden/minilm_reference.json").read_text())
    rows = [
        row.split("\t")
        for row in need_file(data_dir / "stsb/glue/dev.tsv").read_text().splitlines()[1:]
    ]
    similarity = SimilarityPipeline(minilm_dir, batch_size=64)
    scores = similarity([r[7] for r in rows], [r[8] for r in rows])
    spearman = spearmanr(scores, [float(r[9]) for r in rows]).statistic
    assert len(rows) == 1500
    assert spearman == pytest.approx(golden["stsb_glue_dev"]["spearman"], abs=1e-4)
    assert round(spearman, 4) == 0.8672


def test_embed_follows_the_pooling_the_directory_declares(embed):
    assert (embed.pooling, embed.normalize, embed.max_length) == ("mean", True, 256)


@pytest.mark.parametrize("mode", ["mean", "cls", "max"])
@pytest.mark.parametrize("layer", [-1, 0, 1])
def test_embed_pools_any_layer_in_any_mode(mlm_dir, uncased_tokenizer, mode, layer):
    texts = ["A short one.", "A somewhat longer sentence, so that padding happens in a batch."]
    vectors = EmbedPipeline(mlm_dir, pooling=mode, normalize=False, layer=layer)(texts)
    model = BertModel.from_pretrained(mlm_dir)
    inputs = uncased_tokenizer(texts, return_tensors="pt")
    with torch.no_grad():
        hidden = model(
            inputs["input_ids"],
            inputs["token_type_ids"],
            inputs["attention_mask"],
            output_hidden_states=True,
        ).hidden_states[layer]
    expected = pool(hidden, inputs["attention_mask"], mode).numpy()
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_a_plain_directory_defaults_to_mean_pooling_without_normalisation(mlm_dir):
    embed = EmbedPipeline(mlm_dir)
    assert (embed.pooling, embed.normalize) == ("mean", False)
    assert embed.max_length == 64


def test_embed_is_the_same_in_any_batch_size_and_order(embed):
    texts = ["one", "two words", "a sentence of several words here", "", "x " * 40]
    reference = embed(texts)
    for batch_size in (1, 2, 7):
        embed.batch_size = batch_size
        np.testing.assert_allclose(embed(texts), reference, atol=1e-5)
        np.testing.assert_allclose(embed(texts[::-1]), reference[::-1], atol=1e-5)
    embed.batch_size = 32


def test_one_text_gives_a_vector_and_none_an_empty_array(embed):
    assert embed("hello").shape == (384,)
    assert embed([]).shape == (0, 384)
    assert np.isfinite(embed("")).all()  # [CLS] [SEP] only: a vector, as sentence-transformers


def test_a_text_longer_than_the_model_is_cut_at_max_seq_length(embed, caplog):
    long = "the quick brown fox jumps over the lazy dog " * 60  # ~540 tokens
    vectors = embed([long, long + " and then some more words at the very end"])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)
    assert "2 of 2 inputs were cut to 256 tokens" in caplog.text


def test_similarity_is_the_cosine_of_the_embeddings(minilm_dir):
    similarity = SimilarityPipeline(minilm_dir)
    a = ["A man is playing a guitar.", "A cat sleeps."]
    b = ["Someone plays an instrument.", "The stock market fell."]
    scores = similarity(a, b)
    vectors = similarity(a + b, a + b)  # self-similarity is 1
    assert vectors == pytest.approx([1.0] * 4, abs=1e-5)
    assert scores[0] > 0.5 > scores[1]
    assert similarity(a[0], b[0]) == pytest.approx(scores[0], abs=1e-6)
    matrix = similarity.matrix(a + b)
    assert matrix.shape == (4, 4)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)
    assert matrix[0, 2] == pytest.approx(scores[0], abs=1e-5)


def test_bad_embed_options_are_errors(minilm_dir):
    with pytest.raises(BertkitError, match="pooling"):
        EmbedPipeline(minilm_dir, pooling="sum")
    with pytest.raises(BertkitError, match="layer must be in -7..6"):
        EmbedPipeline(minilm_dir, layer=7)
    with pytest.raises(BertkitError, match="got 2 texts but 1 pairs"):
        SimilarityPipeline(minilm_dir)(["a", "b"], ["c"])
    with pytest.raises(BertkitError, match="no such model directory"):
        EmbedPipeline("/nonexistent/model")


@pytest.mark.gpu
def test_embed_on_gpu_runs_in_bf16_close_to_fp32_on_cpu(minilm_dir):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    texts = ["A man is playing a guitar.", "The stock market fell.", "x " * 300]
    gpu = EmbedPipeline(minilm_dir, device="cuda")
    assert gpu.dtype == torch.bfloat16
    cosine = (gpu(texts) * EmbedPipeline(minilm_dir, device="cpu")(texts)).sum(-1)
    assert cosine.min() >= 0.99
