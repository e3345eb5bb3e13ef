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

    nice -n 5 python benchmarks/bench_next_sentence.py --model RUN/model --data DATA_DIR

scores a model that `bertkit pretrain` made with NSP instead (no pretraining here): its held-out
pairs are the "eval" split of the data folder it was pretrained on (`--data`, from `bertkit
prepare-pretraining`: pairs of the held-out documents, built by the code that built its training
pairs), scored by the next-sentence pipeline twice: as text (no masks), and with the masks
pretraining's own evaluation puts on them (epoch 0 of seed `--seed`, the run's), which must give
the held-out nsp_acc of the run's metrics.jsonl (RUN/metrics.jsonl, its last "split": "eval"
line). Without `--data`, pairs of WikiText-2 test built as in 2. (for a model pretrained on
another corpus). The row, named `--label`, replaces the row of that name under "models" in the
results file; the rest of the file stays.
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


def prepared_held_out(data: Path, seed: int) -> tuple[list[Row], list[Row], list[int]]:
    """The eval split of a prepared folder: (pairs as text, the same with pretraining's eval
    masks, labels 0 = B follows A, 1 = random)."""
    from bertkit.data.dataset import PretrainingData

    split = PretrainingData(data, "eval", seed=seed)
    if not len(split):
        raise SystemExit(f"{data}: no held-out split (prepared with --eval-fraction 0?)")
    plain, masked, labels = [], [], []
    for index in range(len(split)):
        tokens, num_a, is_random_next, _ = split.reader.get(index)
        types = [0] * num_a + [1] * (len(tokens) - num_a)
        plain.append(Row([int(t) for t in tokens], types))
        masked_tokens, _, _, _ = split.example(index, epoch=0)  # evaluator(): epoch 0
        masked.append(Row([int(t) for t in masked_tokens], types))
        labels.append(int(is_random_next))
    return plain, masked, labels


def logged_eval(metrics: Path) -> dict | None:
    """The last held-out evaluation a pretraining run logged."""
    if not metrics.is_file():
        return None
    lines = [json.loads(line) for line in metrics.open() if line.strip()]
    evals = [m for m in lines if m.get("split") == "eval"]
    return evals[-1] if evals else None


def accuracy_of(scores: np.ndarray, labels: list[int]) -> float:
    return float(((scores > 0.5) == (np.asarray(labels) == 0)).mean())


def parity(model_dir: Path, rows: list[Row], scores: np.ndarray) -> float:
    """The largest difference of P(B follows A) to transformers' on the same directory."""
    import transformers

    reference = transformers.BertForNextSentencePrediction.from_pretrained(model_dir).eval()
    diffs = []
    for row, score in zip(rows, scores, strict=True):
        with torch.no_grad():
            logits = reference(
                input_ids=torch.tensor([row.input_ids]),
                token_type_ids=torch.tensor([row.token_type_ids]),
            ).logits
        diffs.append(abs(float(logits.softmax(-1)[0, 0]) - float(score)))
    return float(max(diffs))


def score_model(args) -> None:
    """--model: a bertkit-pretrained NSP model on held-out pairs (see the module docstring)."""
    from bertkit.pipelines import NextSentencePipeline
    from bertkit.tokenizer import WordPieceTokenizer

    load_at_start = os.getloadavg()
    model_dir = args.model
    pipe = NextSentencePipeline(model_dir, device="cpu")
    row: dict = {"label": args.label or str(model_dir.name), "note": args.note}
    if not any(Path(a).is_absolute() for a in sys.argv[1:]):  # no machine paths in the file
        row["command"] = " ".join(["python benchmarks/bench_next_sentence.py", *sys.argv[1:]])
    row["architecture"] = {
        k: pipe.config.__dict__[k]
        for k in ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size")
    }
    if args.data:
        rows, masked, labels = prepared_held_out(args.data, args.seed)
        row["held_out"] = f"eval split of the prepared folder {args.data.name}"
    else:
        tokenizer = WordPieceTokenizer.from_pretrained(model_dir)
        wikitext = data_dir() / "wikitext-2-raw" / "wiki.test.raw"
        rows, labels = held_out_pairs(
            wikitext, tokenizer, args.pairs, args.seed, args.max_seq_length
        )
        masked = None
        row["held_out"] = "pairs of WikiText-2 test built as pretraining builds them"
    start = time.perf_counter()
    scores = np.asarray(pipe.score_encodings(rows))
    score_seconds = time.perf_counter() - start
    gold_next = np.asarray(labels) == 0
    row |= {
        "pairs": len(rows),
        "random_next_share": float(np.mean(labels)),
        "accuracy": accuracy_of(scores, labels),
        "majority_answer_accuracy": float(max(gold_next.mean(), 1 - gold_next.mean())),
        "mean_score_real": float(scores[gold_next].mean()),
        "mean_score_random": float(scores[~gold_next].mean()),
        "score_seconds": round(score_seconds, 1),
    }
    if masked is not None:
        masked_scores = np.asarray(pipe.score_encodings(masked))
        row["accuracy_with_pretraining_eval_masks"] = accuracy_of(masked_scores, labels)
    logged = logged_eval(args.metrics or model_dir.parent / "metrics.jsonl")
    if logged:
        row["pretrain_logged_eval"] = {
            k: logged.get(k) for k in ("step", "nsp_acc", "nsp_loss", "mlm_acc")
        }
    row["transformers_parity"] = {
        "pairs": min(256, len(rows)),
        "max_abs_difference": parity(model_dir, rows[:256], scores[:256]),
    }
    row["load_average_at_start"] = load_at_start
    row["conditions"] = conditions()
    path = REPO / "benchmarks" / "results" / f"next-sentence-{device_key()}.json"
    result = json.loads(path.read_text()) if path.is_file() else {}
    others = [r for r in result.get("models", []) if r.get("label") != row["label"]]
    result["models"] = [*others, row]
    write_result(path, result)
    print(json.dumps({k: v for k, v in row.items() if k != "conditions"}, indent=1))


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
    parser.add_argument("--model", type=Path, help="score this NSP model; no pretraining")
    parser.add_argument("--data", type=Path, help="with --model: its prepared data folder")
    parser.add_argument("--metrics", type=Path, help="default: the model folder's ../metrics.jsonl")
    parser.add_argument("--label", help="with --model: the row's name in the results file")
    parser.add_argument("--note", help="with --model: how it was pretrained, for the row")
    args = parser.parse_args()
    if args.model:
        score_model(args)
        return

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
    path = REPO / "benchmarks" / "results" / f"next-sentence-{device_key()}.json"
    if path.is_file() and "models" in (earlier := json.loads(path.read_text())):
        result["models"] = earlier["models"]  # the --model rows stay
    write_result(path, result)
    print(
        json.dumps({k: v for k, v in result.items() if k not in ("conditions", "models")}, indent=1)
    )


if __name__ == "__main__":
    main()
