"""Multi-label classification on real text: CoNLL-2003 sentences labelled with the entity types
they mention (PER, ORG, LOC, MISC; none, one or several), all-MiniLM-L6-v2 fine-tuned on
eng.train and scored on eng.testa; then transformers' text-classification pipeline
(function_to_apply="sigmoid", top_k=None) scores the saved model and must give the same scores.

    nice -n 5 python benchmarks/bench_multilabel.py [--train-examples 3000] [--epochs 1]

The labelled files are built on the fly in a temporary folder from $BERTKIT_DATA/conll2003 and
deleted after the run: no CoNLL text is kept, and the results file holds numbers only. Writes
benchmarks/results/multilabel-<device>.json.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import conditions, data_dir, device_key, minilm_dir, write_result  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TYPES = ["LOC", "MISC", "ORG", "PER"]


def write_label_sets(conll: Path, out: Path, limit: int = 0) -> int:
    """A JSONL file {"text", "labels"} of the sentences of a CoNLL file; the number written."""
    from bertkit.tasks.ner.data import read_conll

    sentences = read_conll(conll, limit).sentences
    rows = []
    for sentence in sentences:
        kinds = sorted({tag[2:] for tag in sentence.tags if tag != "O"})
        rows.append(json.dumps({"text": " ".join(sentence.words), "labels": kinds}))
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-examples", type=int, default=3000, help="0 = all 14,041")
    parser.add_argument("--eval-examples", type=int, default=0, help="0 = all 3,250 of eng.testa")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-seq-length", type=int, default=64)
    parser.add_argument("--parity-examples", type=int, default=500, help="rows checked vs HF")
    args = parser.parse_args()

    import transformers

    from bertkit.pipelines import ClassifyPipeline
    from bertkit.tasks.classify.task import ClassifyConfig
    from bertkit.tasks.finetune import evaluate, finetune

    conll = data_dir() / "conll2003"
    started_load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n_train = write_label_sets(conll / "eng.train", tmp / "train.jsonl", args.train_examples)
        n_dev = write_label_sets(conll / "eng.testa", tmp / "dev.jsonl", args.eval_examples)
        config = dict(
            model=str(minilm_dir()),
            eval=str(tmp / "dev.jsonl"),
            multi_label=True,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            max_seq_length=args.max_seq_length,
            device="cpu",
        )
        start = time.perf_counter()
        trained = finetune(
            ClassifyConfig(train=str(tmp / "train.jsonl"), out=str(tmp / "out"), **config)
        )
        train_seconds = time.perf_counter() - start
        # The same saved model with thresholds tuned on eng.testa (an optimistic figure: tuned and
        # scored on one split), written to a second report.
        tuned = evaluate(
            ClassifyConfig(
                **(config | {"model": str(tmp / "out")}), train="", out="", tune_thresholds=True
            ),
            tmp / "tuned.json",
        )
        texts = [
            json.loads(line)["text"]
            for line in (tmp / "dev.jsonl").read_text(encoding="utf-8").splitlines()
        ][: args.parity_examples]
        ours = ClassifyPipeline(tmp / "out", device="cpu")(texts, threshold=0.0)
        reference = transformers.pipeline(
            "text-classification", model=str(tmp / "out"), device="cpu"
        )
        theirs = reference(texts, function_to_apply="sigmoid", top_k=None, batch_size=32)
        diffs = [
            abs({x.label: x.score for x in a}[b["label"]] - b["score"])
            for a, row in zip(ours, theirs, strict=True)
            for b in row
        ]
    keep = ("f1_micro", "f1_macro", "roc_auc_mean", "exact_match", "per_label")
    result = {
        "task": "CoNLL-2003 sentences -> the entity types they contain (multi-label, 4 labels)",
        "model": "all-MiniLM-L6-v2",
        "train_examples": n_train,
        "eval_examples": n_dev,
        "eval_file": "eng.testa",
        "recipe": {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "max_seq_length")},
        "train_wall_seconds": round(train_seconds, 1),
        "thresholds_0.5": {k: trained[k] for k in keep},
        "thresholds_tuned_on_testa": {k: tuned[k] for k in keep}
        | {"thresholds": tuned["thresholds"]},
        "transformers_parity": {
            "rows": len(texts),
            "scores_compared": len(diffs),
            "max_abs_difference": float(np.max(diffs)),
        },
        "load_average_at_start": started_load,
        "conditions": conditions(),
    }
    write_result(REPO / "benchmarks" / "results" / f"multilabel-{device_key()}.json", result)
    print(json.dumps({k: v for k, v in result.items() if k != "conditions"}, indent=1))


if __name__ == "__main__":
    main()
