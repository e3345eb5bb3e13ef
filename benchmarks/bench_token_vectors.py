"""Token and word vectors on real sentences against transformers, on all-MiniLM-L6-v2.

    nice -n 5 python benchmarks/bench_token_vectors.py [--texts 300]

SST-2 dev sentences (real text of varied length). Token vectors: bertkit's `embed(texts,
tokens=True)` in batches of 32 against transformers' feature-extraction pipeline, one text at a
time (no padding in the reference). Word vectors (`words=True`, last four layers concatenated,
the BERT paper's feature-based recipe): against transformers' hidden states averaged over each
word's pieces as its fast tokenizer's `word_ids()` groups them. Reports the largest absolute
differences and the token and word counts, and the wall time of the token vectors of all the
texts: bertkit in batches of 32 and one text at a time, transformers' pipeline one text at a time
(its output then has no padding), taking turns in one run, with the load average. Writes
benchmarks/results/token-vectors-<device>.json.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import conditions, device_key, minilm_dir, texts_for, write_result  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=300)
    args = parser.parse_args()

    import transformers

    from bertkit.pipelines import EmbedPipeline

    model_dir = minilm_dir()
    texts = texts_for("sst2", args.texts)
    load_at_start = os.getloadavg()
    pipe = EmbedPipeline(model_dir, device="cpu", batch_size=32)
    reference = transformers.pipeline("feature-extraction", model=str(model_dir), device="cpu")
    pipe(texts[:8], tokens=True)  # warm both up
    reference(texts[0])
    seconds = {"bertkit_batch_32": [], "bertkit_one_by_one": [], "transformers_one_by_one": []}
    for _ in range(2):  # taking turns, twice
        start = time.perf_counter()
        ours = pipe(texts, tokens=True)
        seconds["bertkit_batch_32"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for text in texts:
            pipe(text, tokens=True)
        seconds["bertkit_one_by_one"].append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs = [np.asarray(reference(text))[0] for text in texts]
        seconds["transformers_one_by_one"].append(time.perf_counter() - start)
    best = {name: round(min(times), 3) for name, times in seconds.items()}
    token_diff = max(float(np.abs(a.vectors - b).max()) for a, b in zip(ours, theirs, strict=True))
    same_tokens = all(len(a.tokens) == len(b) for a, b in zip(ours, theirs, strict=True))

    words = pipe(texts, tokens=True, words=True, layers="-1,-2,-3,-4", combine="concat")
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.BertModel.from_pretrained(model_dir).eval()
    word_diff, num_words = 0.0, 0
    for text, mine in zip(texts, words, strict=True):
        encoded = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            states = model(**encoded, output_hidden_states=True).hidden_states
        features = torch.cat([states[i][0] for i in (-1, -2, -3, -4)], -1).numpy()  # (T, 4C)
        ids = encoded.word_ids()
        groups = [[p for p, w in enumerate(ids) if w == word] for word in dict.fromkeys(ids)]
        expected = np.stack([features[g].mean(0) for g in groups if ids[g[0]] is not None])
        assert expected.shape == mine.vectors.shape, (text, expected.shape, mine.vectors.shape)
        word_diff = max(word_diff, float(np.abs(expected - mine.vectors).max()))
        num_words += len(expected)
    result = {
        "texts": len(texts),
        "source": "SST-2 dev sentences",
        "model": "all-MiniLM-L6-v2",
        "tokens": sum(len(r.tokens) for r in ours),
        "token_vectors": {
            "max_abs_difference": token_diff,
            "same_token_counts": same_tokens,
        },
        "word_vectors_last4_concat": {"words": num_words, "max_abs_difference": word_diff},
        "seconds_best_of_2": best,
        "speedup_vs_transformers": {
            "batch_32": round(best["transformers_one_by_one"] / best["bertkit_batch_32"], 2),
            "one_by_one": round(best["transformers_one_by_one"] / best["bertkit_one_by_one"], 2),
        },
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "conditions": conditions(),
    }
    write_result(REPO / "benchmarks" / "results" / f"token-vectors-{device_key()}.json", result)
    print(result)


if __name__ == "__main__":
    main()
