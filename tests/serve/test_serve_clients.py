"""The client libraries users already have, against a live `bertkit serve`: every call of
`huggingface_hub.InferenceClient(base_url=...)` for the heads BERT has, and the `openai`
package's embeddings in both encodings, each compared with the pipeline's own output."""

import base64

import numpy as np
import pytest

from bertkit.pipelines import pipeline

huggingface_hub = pytest.importorskip("huggingface_hub")
openai = pytest.importorskip("openai")

SENTENCES = ["The cat sat on the mat.", "A dog ran in the park.", "Paris is in France."]
# Random tiny models: long texts give them the most chances to tag something.
NER_TEXT = "Angela Merkel met Barack Obama in Berlin and Paris with the United Nations in 2009."
CONTEXT = "The Eiffel Tower was built in 1889 by Gustave Eiffel for the World Fair in Paris."


def client(server, name: str | None = None):
    """An InferenceClient on the server's first model, or on model `name` (/models/NAME)."""
    url = server.url if name is None else f"{server.url}/models/{name}"
    return huggingface_hub.InferenceClient(base_url=url, timeout=120)


@pytest.fixture(scope="module")
def embedder(minilm_dir):
    return pipeline("embed", minilm_dir, device="cpu", normalize=False)  # as the server


def test_feature_extraction_and_sentence_similarity_equal_the_pipeline(server, embedder):
    vectors = embedder(SENTENCES)
    unit = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    one = client(server).feature_extraction(SENTENCES[0])
    assert one.shape == (1, unit.shape[1]) and one.dtype == np.float32
    np.testing.assert_allclose(one[0], unit[0], atol=1e-5)
    many = client(server).feature_extraction(SENTENCES)
    np.testing.assert_allclose(many, unit, atol=1e-5)
    raw = client(server).feature_extraction(SENTENCES[1], normalize=False)
    np.testing.assert_allclose(raw[0], vectors[1], atol=1e-4)
    scores = client(server).sentence_similarity(SENTENCES[0], SENTENCES[1:])
    np.testing.assert_allclose(scores, unit[1:] @ unit[0], atol=1e-5)
    assert len(scores) == 2 and all(isinstance(s, float) for s in scores)


def test_text_classification_equals_the_pipeline(server, tiny_dirs):
    pipe = pipeline("classify", tiny_dirs["classify"], device="cpu")
    expected = pipe(SENTENCES[0], top_k=3)
    got = client(server, "classify").text_classification(SENTENCES[0])
    assert [x.label for x in got] == [x.label for x in expected]
    np.testing.assert_allclose([x.score for x in got], [x.score for x in expected], atol=1e-5)
    best = client(server, "classify").text_classification(SENTENCES[0], top_k=1)
    assert [x.label for x in best] == [expected[0].label]


def test_token_classification_equals_the_pipeline(server, tiny_dirs):
    expected = pipeline("ner", tiny_dirs["ner"], device="cpu")(NER_TEXT)
    assert expected, "the tiny NER model tags nothing: the comparison would be empty"
    got = client(server, "ner").token_classification(NER_TEXT)
    assert [(x.entity_group, x.word, x.start, x.end) for x in got] == [
        (e.type, e.text, e.start, e.end) for e in expected
    ]
    np.testing.assert_allclose([x.score for x in got], [e.score for e in expected], atol=1e-5)
    first = expected[0].type
    kept = client(server, "ner").token_classification(NER_TEXT, ignore_labels=[f"B-{first}"])
    assert [x.word for x in kept] == [e.text for e in expected if e.type != first]


def test_question_answering_equals_the_pipeline(server, tiny_dirs):
    question = "When was the tower built?"
    expected = pipeline("qa", tiny_dirs["qa"], device="cpu")(question, CONTEXT)
    got = client(server, "qa").question_answering(question, CONTEXT)
    assert (got.answer, got.start, got.end) == (expected.text, expected.start, expected.end)
    assert CONTEXT[got.start : got.end] == got.answer
    assert got.score == pytest.approx(expected.score, abs=1e-5)


def test_fill_mask_equals_the_pipeline(server, tiny_dirs):
    text = "The capital of France is [MASK]."
    expected = pipeline("fill-mask", tiny_dirs["mlm"], device="cpu")(text, top_k=4)[0]
    got = client(server, "mlm").fill_mask(text, top_k=4)
    assert [x.token for x in got] == [p.token_id for p in expected]
    assert [x.token_str for x in got] == [p.token for p in expected]
    np.testing.assert_allclose([x.score for x in got], [p.score for p in expected], atol=1e-5)
    assert all("[MASK]" not in x.sequence for x in got)
    assert all(x.token_str.removeprefix("##") in x.sequence for x in got)


def test_a_parameter_the_server_cannot_honour_is_a_422_naming_it(server):
    with pytest.raises(huggingface_hub.errors.HfHubHTTPError) as caught:
        client(server, "mlm").fill_mask("a [MASK] b", targets=["cat"])
    assert caught.value.response.status_code == 422
    assert "targets" in caught.value.response.json()["error"]


@pytest.mark.parametrize("encoding_format", ["float", "base64", None])
def test_openai_embeddings_equal_the_pipeline(server, embedder, encoding_format):
    vectors = embedder(SENTENCES)
    unit = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    api = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", timeout=120)
    options = {} if encoding_format is None else {"encoding_format": encoding_format}
    reply = api.embeddings.create(input=SENTENCES, model="minilm", **options)
    # Left unset, the client asks for base64 and decodes it; asked for, base64 is handed back.
    if encoding_format == "base64":
        rows = [np.frombuffer(base64.b64decode(d.embedding), dtype="<f4") for d in reply.data]
    else:
        rows = [d.embedding for d in reply.data]
    got = np.asarray(rows, dtype=np.float32)
    np.testing.assert_allclose(got, unit, atol=1e-5)
    assert reply.usage.prompt_tokens > len(SENTENCES) * 2
