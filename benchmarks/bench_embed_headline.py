"""The headline retriever: all-MiniLM-L6-v2 trained on every question of the first 38 SQuAD dev
articles with mined hard negatives, inside a fixed wall-clock budget, against the untrained
model, BM25 and the hybrid of both.

1. Two indexes (dense + BM25) built with the untrained model: the first 38 articles' paragraphs
   (mining looks only there, so no held-out paragraph is ever trained on) and all 2,067 dev
   paragraphs (scoring).
2. Mining: `mine_negatives`, hybrid ranking, --k negatives per question from candidate positions
   --range, skipping the positive and anything within --margin of its cosine.
3. Training: `finetune(EmbedConfig(loss="mnrl"))` on the mined rows, NO_DUPLICATES batches, with
   `time_limit_minutes` = the budget left after 1. and 2. (the schedule decays to 0 by then).
4. Scoring: each of the last 10 articles' questions ranked against all 2,067 paragraphs: dense
   (untrained and trained), BM25, hybrid (untrained and trained, reciprocal-rank fusion with BM25);
   R@1, R@10, MRR@10, nDCG@10.

    python benchmarks/bench_embed_headline.py --budget-minutes 30 --precision bf16

writes benchmarks/results/embed-headline-<device>.json with the machine and its load.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
SETTINGS = ("k", "range", "margin", "batch_size", "lr", "epochs", "precision", "max_seq_length")


def scores(index: Path, held_out: list[dict], modes: tuple[str, ...]) -> dict:
    """Each mode's metrics over the held-out questions (relevant: the paragraph asked on)."""
    from bertkit.index import IndexSearcher
    from bertkit.tasks.embed.metrics import retrieval_metrics

    searcher = IndexSearcher(index, device="cpu", dtype="float32")
    questions = list(dict.fromkeys(r["question"] for r in held_out))
    gold: dict[str, set] = {q: set() for q in questions}
    for r in held_out:
        gold[r["question"]].add(r["id"])
    out = {}
    for mode in modes:
        hits = searcher.search_many(questions, 100, mode=mode)
        metrics = retrieval_metrics(
            [[h.id for h in row] for row in hits], [gold[q] for q in questions]
        )
        out[mode] = {
            k: round(metrics[k], 4) for k in ("recall@1", "recall@10", "mrr@10", "ndcg@10")
        }
    out["questions"] = len(questions)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    parser.add_argument("--squad", type=Path, default=data / "squad-v1.1" / "dev-v1.1.json")
    parser.add_argument("--budget-minutes", type=float, default=30.0, help="index + mine + train")
    parser.add_argument("--k", type=int, default=1, help="mined negatives per question")
    parser.add_argument("--range", default="3,30", help="mined candidate positions START,END")
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--precision", default="bf16", choices=("fp32", "bf16"))
    parser.add_argument("--max-seq-length", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from bench_rerank import squad, write_jsonl
    from measure import conditions, device_key, minilm_dir, write_result

    from bertkit.index import build_index
    from bertkit.index.mining import MiningConfig, mine_negatives
    from bertkit.tasks.embed.task import EmbedConfig
    from bertkit.tasks.finetune import finetune

    started = time.perf_counter()
    report: dict = {
        "command": " ".join(["python benchmarks/bench_embed_headline.py", *sys.argv[1:]]),
        "conditions_before": conditions(),
    }
    paragraphs, train, held_out = squad(args.squad)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        everything = write_jsonl(work / "all.jsonl", paragraphs)
        asked = {r["id"] for r in train}  # every SQuAD paragraph has questions
        train_only = write_jsonl(work / "train.jsonl", [p for p in paragraphs if p["id"] in asked])
        base = minilm_dir()
        build_index(
            base, [train_only], work / "train-index", use_bm25=True, device="cpu", dtype="float32"
        )
        build_index(
            base, [everything], work / "index", use_bm25=True, device="cpu", dtype="float32"
        )
        report["indexes_seconds"] = round(time.perf_counter() - started, 1)
        pairs = write_jsonl(
            work / "pairs.jsonl", [{"anchor": r["question"], "positive": r["text"]} for r in train]
        )
        start, end = (int(x) for x in args.range.split(","))
        t = time.perf_counter()
        mining = mine_negatives(
            pairs, work / "mined.jsonl",
            MiningConfig(args.k, start, end, method="hybrid", margin=args.margin),
            index=work / "train-index", device="cpu", dtype="float32",
        )  # fmt: skip
        mining.pop("out", None)  # a temporary path
        report["mining"] = {**mining, "seconds": round(time.perf_counter() - t, 1)}
        print("mined", report["mining"], flush=True)
        left = args.budget_minutes - (time.perf_counter() - started) / 60
        t = time.perf_counter()
        trained = work / "encoder"
        result = finetune(
            EmbedConfig(
                model=str(base), train=str(work / "mined.jsonl"), out=str(trained),
                epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, warmup_ratio=0.1,
                max_seq_length=args.max_seq_length, seed=args.seed, device="cpu",
                precision=args.precision, time_limit_minutes=max(left, 1.0),
            )
        )  # fmt: skip
        lines = (trained / "train" / "metrics.jsonl").read_text().splitlines()
        logged = [json.loads(line) for line in lines]
        steps = max((m.get("step", 0) for m in logged), default=0)
        report["training"] = {
            "rows": result["train_examples"], "planned_steps": result["steps"],
            "steps_done": steps, "minutes_allowed": round(max(left, 1.0), 2),
            "seconds": round(time.perf_counter() - t, 1),
            "settings": {k: getattr(args, k) for k in SETTINGS},
        }  # fmt: skip
        report["budget_used_minutes"] = round((time.perf_counter() - started) / 60, 2)
        print("trained", report["training"], flush=True)
        report["untrained"] = scores(work / "index", held_out, ("dense", "bm25", "hybrid"))
        build_index(
            trained,
            [everything],
            work / "trained-index",
            use_bm25=True,
            device="cpu",
            dtype="float32",
        )
        report["trained"] = scores(work / "trained-index", held_out, ("dense", "hybrid"))
    report["conditions_after"] = conditions()
    write_result(
        args.out or REPO / "benchmarks/results" / f"embed-headline-{device_key()}.json", report
    )
    print(json.dumps({k: report[k] for k in ("untrained", "trained")}, indent=1))


if __name__ == "__main__":
    main()
