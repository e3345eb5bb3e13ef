"""Fault campaign: kill pretraining with SIGKILL at random points, resume, compare with a clean run.

    python benchmarks/faults.py                    # 24 kills, WikiText-2 (synthetic if absent)
    python benchmarks/faults.py --quick            # 3 kills on a synthetic corpus (the CI test)
    python benchmarks/faults.py --kills 20 --corpus synthetic --seed 1

A tiny BERT (dropout on, so the RNG states matter) is pretrained through `bertkit pretrain` in a
child process. Each attempt draws where to die: inside a training step (after its backward, before
the update), inside an evaluation, halfway through a checkpoint write, or at a random moment
(the parent's SIGKILL after a random delay); then the run is resumed with --resume, until it
completes. The final weights and the whole loss curve (train and eval lines) are compared with one
uninterrupted run. Reports kills, resumes that completed or progressed, steps redone, and every
difference; writes benchmarks/results/faults.json (or --out).
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KINDS = ("step", "eval", "save", "time")
TRAIN = dict(max_steps=30, batch_size=8, save_every=3, eval_every=6, keep_last=2)
QUICK_TRAIN = dict(max_steps=12, batch_size=8, save_every=3, eval_every=4, keep_last=2)


# ---- the child: one attempt of `bertkit pretrain`, maybe dying at a chosen point ----


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def run_attempt(request: dict) -> int:
    import io

    import torch

    import bertkit.train.checkpoint as checkpoint
    import bertkit.train.loop as loop
    from bertkit.cli.main import main

    kind, at, calls = request.get("kind"), request.get("at", 0), {"n": 0}

    def is_due() -> bool:
        calls["n"] += 1
        return calls["n"] == at

    if kind == "step":  # forward and backward done, weights not yet updated
        real_accumulate = loop.accumulate

        def accumulate(*args, **kwargs):
            result = real_accumulate(*args, **kwargs)
            if is_due():
                die()
            return result

        loop.accumulate = accumulate
    elif kind == "eval":  # the evaluation computed, not yet logged
        real_evaluation = loop.run_evaluation

        def run_evaluation(state, evaluate, *args, **kwargs):
            if is_due():
                real_evaluate = evaluate
                evaluate = lambda model: (real_evaluate(model), die())  # noqa: E731
            return real_evaluation(state, evaluate, *args, **kwargs)

        loop.run_evaluation = run_evaluation
    elif kind == "save":  # half of the checkpoint's bytes on disk
        real_save = torch.save

        def save(obj, path, *args, **kwargs):
            if not is_due():
                return real_save(obj, path, *args, **kwargs)
            buffer = io.BytesIO()
            real_save(obj, buffer)
            with open(path, "wb") as f:
                f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
                f.flush()
                os.fsync(f.fileno())
            die()

        checkpoint.torch.save = save
    return main(request["argv"])


# ---- the parent: data, the clean run, the campaign ----


def prepare(work: Path, corpus: str) -> tuple[Path, Path]:
    """A prepared data folder and a tiny model config (dropout 0.1) in `work`."""
    from bertkit.data.prepare import PrepareConfig, prepare_pretraining
    from bertkit.model import BertConfig
    from bertkit.tokenizer import WordPieceTokenizer

    data_root = Path(os.environ.get("BERTKIT_DATA", REPO.parent / "shared" / "data"))
    wikitext = data_root / "wikitext-2-raw" / "wiki.valid.raw"
    if corpus == "wikitext" and wikitext.exists():
        lines = wikitext.read_text(encoding="utf-8").splitlines()[:600]
        text_path = work / "corpus.txt"
        text_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tokenizer = WordPieceTokenizer.from_pretrained(data_root / "vocab" / "bert-base-uncased")
        fmt = "wikitext"
    else:
        corpus = "synthetic"
        text_path, vocab_dir = synthetic_corpus(work)
        tokenizer = WordPieceTokenizer.from_pretrained(vocab_dir)
        fmt = "auto"
    prepare_config = PrepareConfig(max_seq_length=32, eval_fraction=0.1, seed=1, format=fmt)
    prepare_pretraining([text_path], tokenizer, work / "data", prepare_config, progress=False)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    (work / "model.json").write_text(json.dumps(config.to_dict()), encoding="utf-8")
    return work / "data", work / "model.json"


def synthetic_corpus(work: Path) -> tuple[Path, Path]:
    """Documents of random sentences over 80 words, and their vocabulary."""
    rng = random.Random(0)
    words = [f"w{i}" for i in range(80)]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, "."]
    (work / "vocab").mkdir(parents=True, exist_ok=True)
    (work / "vocab" / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    docs = []
    for _ in range(80):
        sentences = [
            " ".join(rng.choices(words, k=rng.randint(3, 11))) + " ."
            for _ in range(rng.randint(2, 14))
        ]
        docs.append("\n".join(sentences))
    (work / "corpus.txt").write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return work / "corpus.txt", work / "vocab"


def pretrain_argv(data: Path, model: Path, out: Path, train: dict, resume: bool) -> list[str]:
    argv = ["pretrain", "--data", str(data), "--config", str(model), "--out", str(out)]
    for key, value in {**train, "lr": 1e-3, "log_every": 1}.items():
        argv += ["--" + key.replace("_", "-"), str(value)]
    return argv + ["--no-progress"] + (["--resume"] if resume else [])


def launch(request: dict, kill_after: float | None = None) -> int:
    """Run one attempt in a child process; SIGKILL it after `kill_after` seconds if given."""
    command = [sys.executable, str(Path(__file__).resolve()), "--attempt", json.dumps(request)]
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, stderr = child.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        _, stderr = child.communicate()
    if child.returncode not in (0, -signal.SIGKILL):
        sys.stderr.write(stderr.decode(errors="replace"))
    return child.returncode


def records(out: Path) -> list[dict]:
    path = out / "metrics.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def curve(out: Path) -> list[tuple]:
    """(split, step, loss) of every line: the loss curve, train and eval."""
    return [(r["split"], r["step"], r["loss"]) for r in records(out)]


def last_train_step(out: Path) -> int:
    steps = [r["step"] for r in records(out) if r["split"] == "train"]
    return max(steps, default=0)


def newest_checkpoint_step(out: Path) -> int:
    names = (
        sorted((out / "checkpoints").glob("step-*.pt")) if (out / "checkpoints").is_dir() else []
    )
    return int(names[-1].stem.split("-")[1]) if names else 0


def weight_differences(ours: Path, reference: Path) -> dict:
    from safetensors.torch import load_file

    a, b = (load_file(d / "model" / "model.safetensors") for d in (ours, reference))
    different = {k: float((a[k] - b[k]).abs().max()) for k in b if not (a[k] == b[k]).all()}
    largest = max(different.values(), default=0.0)
    return {"tensors": len(b), "different": len(different), "max_abs_diff": largest}


def campaign(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    train = QUICK_TRAIN if args.quick else TRAIN
    work = Path(tempfile.mkdtemp(prefix="bertkit-faults-"))
    try:
        data, model = prepare(work, "synthetic" if args.quick else args.corpus)
        started = time.perf_counter()
        reference = work / "reference"
        argv = pretrain_argv(data, model, reference, train, resume=False)
        if launch({"argv": argv}) != 0:
            raise SystemExit("the uninterrupted run failed")
        clean_seconds = time.perf_counter() - started
        max_delay = args.max_delay or clean_seconds  # random moments over a whole attempt

        kills, runs, resumes = [], [], []
        while len(kills) < args.kills:
            out = work / f"run-{len(runs)}"
            attempts = 0
            while not (out / "model" / "model.safetensors").exists():
                argv = pretrain_argv(data, model, out, train, resume=attempts > 0)
                resumed_from = newest_checkpoint_step(out)
                plan = draw_kill(rng, train, last_train_step(out), args, len(kills), max_delay)
                delay = plan.pop("delay", None)
                code = launch({"argv": argv, **plan}, kill_after=delay)
                attempts += 1
                if attempts > 1:
                    resumes.append(code in (0, -signal.SIGKILL))  # else: the resume failed
                if code not in (0, -signal.SIGKILL):
                    break
                if code == 0:
                    continue
                reached = last_train_step(out)
                kills.append(
                    {
                        **plan,
                        **({"delay": round(delay, 2)} if delay else {}),
                        "resumed_from": resumed_from,
                        "reached": reached,
                        "redone": max(0, reached - newest_checkpoint_step(out)),
                    }
                )
                if attempts > 4 * args.kills + 10:
                    raise SystemExit(f"{out}: no progress after {attempts} attempts")
            if not (out / "model" / "model.safetensors").exists():
                runs.append({"attempts": attempts, "failed": True})
                continue
            runs.append(
                {
                    "attempts": attempts,
                    "same_curve": curve(out) == curve(reference),
                    "curve_lines": len(curve(reference)),
                    "weights": weight_differences(out, reference),
                }
            )
        return {
            "kills": len(kills),
            "by_kind": {k: sum(1 for x in kills if x["kind"] == k) for k in KINDS},
            "resumes": len(resumes),
            "successful_resumes": sum(resumes),
            "runs": len(runs),
            "identical_runs": sum(1 for r in runs if _is_identical(r)),
            "steps_redone": sum(x["redone"] for x in kills),
            "steps_per_run": train["max_steps"],
            "clean_run_seconds": round(clean_seconds, 1),
            "campaign_seconds": round(time.perf_counter() - started, 1),
            "train": train,
            "corpus": "synthetic" if args.quick else args.corpus,
            "run_log": runs,
            "kill_log": kills,
            "loadavg": os.getloadavg(),
            "cpu_count": os.cpu_count(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _is_identical(run: dict) -> bool:
    return not run.get("failed") and run["same_curve"] and not run["weights"]["different"]


def draw_kill(
    rng: random.Random, train: dict, done: int, args, num_kills: int, max_delay: float
) -> dict:
    """Where the next attempt dies: a kind (in turn in quick mode) and the call that dies."""
    if num_kills >= args.kills:
        return {}
    kind = KINDS[num_kills % 3] if args.quick else rng.choice(KINDS)
    left = max(1, train["max_steps"] - done)
    if kind == "step":
        return {"kind": kind, "at": rng.randint(1, left)}
    if kind == "eval":
        return {"kind": kind, "at": rng.randint(1, max(1, left // train["eval_every"]))}
    if kind == "save":
        return {"kind": kind, "at": rng.randint(1, max(1, left // train["save_every"]))}
    return {"kind": kind, "delay": rng.uniform(1.0, max(1.0, max_delay))}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--kills", type=int, default=None, help="SIGKILLs (default 24; quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 kills, 12 steps, synthetic")
    parser.add_argument("--corpus", choices=("wikitext", "synthetic"), default="wikitext")
    parser.add_argument("--seed", type=int, default=0, help="seeds where the kills fall")
    parser.add_argument(
        "--max-delay", type=float, default=0.0, help="latest random-time kill, s (0: a clean run)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/faults.json")
    parser.add_argument("--attempt", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attempt:
        sys.exit(run_attempt(json.loads(args.attempt)))
    if args.kills is None:
        args.kills = 3 if args.quick else 24
    result = campaign(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    summary = {k: v for k, v in result.items() if k not in ("run_log", "kill_log", "train")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
