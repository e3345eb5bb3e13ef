"""Next-sentence prediction on held-out real text, by a bertkit-pretrained model.

    nice -n 5 python benchmarks/bench_next_sentence.py [--minutes 4] [--pairs 2000]

1. `bertkit prepare-pretraining` on WikiText-2 valid (NSP pairs with MLM masks, MiniLM's
   vocabulary), then `bertkit pretrain --init-from all-MiniLM-L6-v2` (MLM + NSP; MiniLM has no
   NSP head, so that head starts from random weights) for `--minutes` of wall time.
   `--train-heads-only` freezes the encoder and fits the fresh heads only.
2. Held-out pairs from WikiText-2 test, built the way pretraining builds them
   (`bertkit.data.instances.create_instances`: half the B segments the real continuation, half a
   span of another article), scored by the next-sentence pipeline on the saved model: accuracy of
   "B follows A" (probability > 0.5) against the pairs' labels, and against always answering
   "follows".
3. transformers' BertForNextSentencePrediction on the same saved directory: the largest
   difference of P(B follows A) over the first 256 held-out pairs.
Writes benchmarks/results/next-sentence-<device>.json.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import conditions, data_dir, device_key, minilm_dir, write_result  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    input_ids: list[int]
    token_type_ids: list[int]


def held_out_pairs(
    path: Path, tokenizer, num_pairs: int, seed: int, max_seq_length: int
) -> tuple[list[Row], list[int]]:
    """Pairs of WikiText-2 test as pretraining makes them; labels 0 = B follows A, 1 = random."""
    from bertkit.data.corpus import read_documents
    from bertkit.data.instances import create_instances
    from bertkit.data.prepare import tokenize_sentence

    documents = []
    for document in read_documents(path, "wikitext"):  # each a list of sentences
        tokens = [ids for s in document if (ids := tokenize_sentence(tokenizer, s))]
        if tokens:
            documents.append(tokens)
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for index in rng.permutation(len(documents)):
        for instance in create_instances(
            documents,
            int(index),
            rng,
            cls_id=tokenizer.cls_token_id,
            sep_id=tokenizer.sep_token_id,
            max_seq_length=max_seq_length,
        ):
            types = [0] * instance.num_a + [1] * (len(instance.tokens) - instance.num_a)
            rows.append(Row(instance.tokens, types))
            labels.append(int(instance.is_random_next))
    order = rng.permutation(len(rows))[:num_pairs]
    return [rows[i] for i in order], [labels[i] for i in order]


def bertkit(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "bertkit.cli.main", *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0, help="pretraining wall time")
    parser.add_argument("--pairs", type=int, default=2000, help="held-out pairs scored")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seq-length", type=int, default=64, help="pretraining and held out")
    parser.add_argument(
        "--train-heads-only",
        action="store_true",
        help="freeze the encoder: fit the fresh NSP and MLM heads only (a third of the step cost)",
    )
    args = parser.parse_args()

    import transformers

    from bertkit.pipelines import NextSentencePipeline
    from bertkit.tokenizer import WordPieceTokenizer

    wikitext = data_dir() / "wikitext-2-raw"
    load_at_start = os.getloadavg()
    minilm = minilm_dir()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        bertkit("prepare-pretraining", "--corpus", str(wikitext / "wiki.valid.raw"),
                "--vocab-from", str(minilm), "--out", str(tmp / "data"),
                "--max-seq-length", str(args.max_seq_length))  # fmt: skip
        prepare_seconds = time.perf_counter() - start
        start = time.perf_counter()
        bertkit("pretrain", "--data", str(tmp / "data"), "--init-from", str(minilm),
                "--objective", "mlm_nsp", "--out", str(tmp / "run"), "--max-steps", "100000",
                "--time-limit-minutes", str(args.minutes), "--lr", str(args.lr),
                "--batch-size", str(args.batch_size), "--warmup-steps", "5",
                "--seed", str(args.seed), "--no-progress",
                *(["--train-heads-only"] if args.train_heads_only else []))  # fmt: skip
        pretrain_seconds = time.perf_counter() - start
        model_dir = tmp / "run" / "model"
        metrics = [json.loads(line) for line in (tmp / "run" / "metrics.jsonl").open()]
        steps = max((m.get("step", 0) for m in metrics), default=0)

        tokenizer = WordPieceTokenizer.from_pretrained(model_dir)
        rows, labels = held_out_pairs(
            wikitext / "wiki.test.raw", tokenizer, args.pairs, args.seed, args.max_seq_length
        )
        pipe = NextSentencePipeline(model_dir, device="cpu")
        start = time.perf_counter()
        scores = np.asarray(pipe.score_encodings(rows))
        score_seconds = time.perf_counter() - start
        gold_next = np.asarray(labels) == 0
        accuracy = float(((scores > 0.5) == gold_next).mean())

        reference = transformers.BertForNextSentencePrediction.from_pretrained(model_dir).eval()
        diffs = []
        for row, score in zip(rows[:256], scores[:256], strict=True):
            ids = torch.tensor([row.input_ids])
            with torch.no_grad():
                logits = reference(input_ids=ids, token_type_ids=torch.tensor([row.token_type_ids]))
            diffs.append(abs(float(logits.logits.softmax(-1)[0, 0]) - float(score)))
    result = {
        "model": "all-MiniLM-L6-v2 continued on WikiText-2 valid with MLM + NSP (fresh NSP head)",
        "pretrain": {
            "minutes": args.minutes,
            "steps": steps,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "max_seq_length": args.max_seq_length,
            "train_heads_only": args.train_heads_only,
            "wall_seconds": round(pretrain_seconds, 1),
            "prepare_seconds": round(prepare_seconds, 1),
        },
        "held_out": {
            "corpus": "WikiText-2 test",
            "pairs": len(rows),
            "random_next_share": float(np.mean(labels)),
            "accuracy": accuracy,
            "always_follows_accuracy": float(gold_next.mean()),
            "mean_score_real": float(scores[gold_next].mean()),
            "mean_score_random": float(scores[~gold_next].mean()),
            "score_seconds": round(score_seconds, 1),
        },
        "transformers_parity": {"pairs": len(diffs), "max_abs_difference": float(max(diffs))},
        "load_average_at_start": load_at_start,
        "conditions": conditions(),
    }
    write_result(REPO / "benchmarks" / "results" / f"next-sentence-{device_key()}.json", result)
    print(json.dumps({k: v for k, v in result.items() if k != "conditions"}, indent=1))


if __name__ == "__main__":
    main()
