"""The model step the server calls: pipelines run on encodings made off the model thread give
the pipeline's own output, and the token budget knows whether the model unpads."""

import numpy as np

from bertkit.pipelines import pipeline
from bertkit.serve.models import counts_real_tokens, run_classify, run_embed

TEXTS = ["a short one", "a somewhat longer sentence about a river bank and its trees", "ok"]


def test_embed_from_encodings_equals_the_pipeline(minilm_dir):
    pipe = pipeline("embed", minilm_dir, device="cpu", normalize=False, max_length=8)
    encodings = pipe.tokenizer.encode_batch(TEXTS[:1] + TEXTS[2:])  # short: already fit
    encodings.insert(1, pipe.encode_truncated(TEXTS[1:2])[0])  # long: cut as the pipeline does
    served = np.stack(run_embed(pipe, encodings))
    np.testing.assert_allclose(served, pipe(TEXTS), rtol=1e-5, atol=1e-6)
    assert counts_real_tokens(pipe) == pipe.model.unpad


def test_classify_from_encodings_mixes_pairs_and_equals_the_pipeline(tiny_dirs):
    pipe = pipeline("classify", tiny_dirs["classify"], device="cpu")
    single = pipe.encode_truncated(TEXTS)
    pairs = pipe.encode_truncated(TEXTS, TEXTS[::-1])
    served = run_classify(pipe, [single[0], pairs[1], single[2], pairs[0]])
    k = pipe.config.num_labels
    alone = pipe(TEXTS, top_k=k)
    paired = pipe(TEXTS, TEXTS[::-1], top_k=k)
    expected = [alone[0], paired[1], alone[2], paired[0]]
    for got, want in zip(served, expected, strict=True):
        assert [x.label for x in got] == [x.label for x in want]
        np.testing.assert_allclose([x.score for x in got], [x.score for x in want], rtol=1e-5)
    assert counts_real_tokens(pipe) == pipe.model.bert.unpad


def test_each_model_thread_has_its_own_number():
    import threading

    from bertkit.serve.models import model_executor, worker_index

    both_started = threading.Barrier(2, timeout=30)

    def number() -> int:
        both_started.wait()  # the two calls run in two threads at once
        return worker_index()

    with model_executor(2) as executor:
        numbers = sorted(executor.map(lambda _: number(), range(2)))
        again = {executor.submit(worker_index).result() for _ in range(6)}
    assert numbers == [0, 1] and again <= {0, 1}
