"""`finetune(EmbedConfig(...))` end to end on a tiny random model: every loss, the
sentence-transformers output, evaluation, and resume after SIGTERM and kill -9."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from bertkit.errors import BertkitError
from bertkit.tasks.embed.task import EmbedConfig
from bertkit.tasks.finetune import evaluate, finetune
from tests.tasks.conftest import write_similarity_tsv

FAST = dict(batch_size=8, lr=1e-3, log_every=1, device="cpu", max_seq_length=32)
NAMES, VERBS, PLACES = (
    ("john", "mary", "smith", "jones"),
    ("lives", "works", "visited"),
    (
        "paris",
        "london",
        "acme",
    ),
)


def write_pairs(path: Path, negatives: bool = False) -> Path:
    """Queries about a person and a verb, each answered by one "name verb in place" passage."""
    rows = []
    for i, (name, verb) in enumerate((n, v) for n in NAMES for v in VERBS):
        place = PLACES[i % 3]
        positive = f"{name} {verb} in {place}"
        for query in (f"{name} {verb}", f"{name} {verb} ?", f"the {name} {verb}", f"{verb} {name}"):
            row = {"anchor": query, "positive": positive}
            if negatives:
                row["negative"] = f"{name} {verb} in {PLACES[(i + 1) % 3]}"
            rows.append(row)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _losses(out: Path) -> list[float]:
    lines = (out / "train" / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


def test_pairs_run_writes_a_sentence_transformers_directory(tiny_model_dir, tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    out = tmp_path / "out"
    result = finetune(
        EmbedConfig(
            model=str(tiny_model_dir),
            train=str(pairs),
            eval=str(pairs),
            out=str(out),
            epochs=2,
            **FAST,
        )  # fmt: skip
    )
    assert result["metric"] == "ndcg@10" and 0 <= result["recall@1"] <= 1
    for name in ("modules.json", "1_Pooling/config.json", "2_Normalize", "config.json",
                 "vocab.txt", "model.safetensors", "eval.json", "train/loss.png"):  # fmt: skip
        assert (out / name).exists(), name
    assert json.loads((out / "sentence_bert_config.json").read_text())["max_seq_length"] == 32
    losses = _losses(out)
    assert all(np.isfinite(losses)) and np.mean(losses[-3:]) < np.mean(losses[:3])

    from sentence_transformers import SentenceTransformer

    from bertkit.pipelines import pipeline

    texts = ["john lives in paris", "who works at acme corp ?", "mary", "the film was good"]
    theirs = SentenceTransformer(str(out), device="cpu").encode(texts)
    ours = pipeline("embed", out)(texts)
    cosines = (ours * theirs).sum(-1) / (
        np.linalg.norm(ours, axis=-1) * np.linalg.norm(theirs, axis=-1)
    )
    assert cosines.min() >= 0.99999
    np.testing.assert_allclose(np.linalg.norm(ours, axis=-1), 1.0, atol=1e-5)  # 2_Normalize


@pytest.mark.parametrize(
    ("loss", "extra"),
    [
        ("cached_mnrl", dict(mini_batch_size=5, matryoshka_dims="32,16")),
        ("mnrl", dict(symmetric=True, no_duplicates=False)),
        ("triplet", dict()),
        ("cosent", dict()),
        ("cosine_mse", dict()),
    ],
)
def test_every_loss_trains_and_reports_its_evaluation(tiny_model_dir, tmp_path, loss, extra):
    scored = write_similarity_tsv(tmp_path / "sts.tsv")
    if loss in ("cosent", "cosine_mse"):
        train = evaluation = scored
    else:
        train = write_pairs(tmp_path / "train.jsonl", negatives=loss == "triplet")
        evaluation = scored
    out = tmp_path / "out"
    result = finetune(
        EmbedConfig(
            model=str(tiny_model_dir),
            train=str(train),
            eval=str(evaluation),
            out=str(out),
            loss=loss,
            **extra,
            **FAST,
        )  # fmt: skip
    )
    assert -1 <= result["spearman"] <= 1 and result["metric"] == "spearman"
    assert all(np.isfinite(_losses(out)))


def test_no_eval_file_keeps_the_last_model_and_evaluate_scores_it(tiny_model_dir, tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    out = tmp_path / "out"
    finetune(EmbedConfig(model=str(tiny_model_dir), train=str(pairs), out=str(out), **FAST))
    assert (out / "modules.json").exists()
    scored = write_similarity_tsv(tmp_path / "sts.tsv")
    result = evaluate(EmbedConfig(model=str(out), eval=str(scored), device="cpu"))
    assert set(result) >= {"spearman", "pearson"}
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the movie was bad\nacme corp\n")
    result = evaluate(EmbedConfig(model=str(out), eval=str(pairs), corpus=str(corpus)))
    assert set(result) >= {"recall@1", "recall@100", "mrr@10", "ndcg@10", "map@100"}


def test_bf16_training_starts_from_the_fp32_loss(tiny_model_dir, tmp_path):
    """--precision bf16 (autocast) is the same run in another precision: the first step's loss
    (no update yet) agrees with fp32's to bf16 rounding, and every loss stays finite."""
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    losses = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / precision
        config = EmbedConfig(
            model=str(tiny_model_dir), train=str(pairs), out=str(out), precision=precision, **FAST
        )
        finetune(config)
        losses[precision] = _losses(out)
    assert len(losses["bf16"]) == len(losses["fp32"]) and all(np.isfinite(losses["bf16"]))
    assert losses["bf16"][0] == pytest.approx(losses["fp32"][0], rel=0.02)
    with pytest.raises(BertkitError, match="precision must be one of"):
        EmbedConfig(precision="fp16")


def test_a_time_limit_stops_the_run_early_and_keeps_its_model(tiny_model_dir, tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    out = tmp_path / "out"
    config = dict(FAST, log_every=1, epochs=50)  # far more steps than a few seconds allow
    result = finetune(
        EmbedConfig(
            model=str(tiny_model_dir),
            train=str(pairs),
            out=str(out),
            time_limit_minutes=0.05,
            **config,
        )
    )
    assert 0 < len(_losses(out)) < result["steps"]
    assert (out / "modules.json").exists() and (out / "model.safetensors").exists()
    with pytest.raises(BertkitError, match="time_limit_minutes"):
        EmbedConfig(time_limit_minutes=-1)


def test_bad_configs_stop_before_training(tiny_model_dir, tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    scored = write_similarity_tsv(tmp_path / "sts.tsv")
    base = dict(model=str(tiny_model_dir), out=str(tmp_path / "o"), **FAST)
    with pytest.raises(BertkitError, match="needs a score column"):
        finetune(EmbedConfig(train=str(pairs), loss="cosent", **base))
    with pytest.raises(BertkitError, match="scored pairs train with cosent"):
        finetune(EmbedConfig(train=str(scored), **base))
    with pytest.raises(BertkitError, match="triplet needs a negative"):
        finetune(EmbedConfig(train=str(pairs), loss="triplet", **base))
    with pytest.raises(BertkitError, match="matryoshka_dims"):
        EmbedConfig(matryoshka_dims="384,x")


@pytest.mark.slow
@pytest.mark.parametrize(("signal", "loss"), [("SIGTERM", "mnrl"), ("SIGKILL", "cached_mnrl")])
def test_resume_after_a_signal_reproduces_the_uninterrupted_losses(
    tiny_model_dir, tmp_path, signal, loss
):
    pairs = write_pairs(tmp_path / "pairs.jsonl")
    argv = ["finetune", "embed", "--model", tiny_model_dir, "--train", pairs, "--eval", pairs]
    argv += ["--epochs", 2, "--batch-size", 8, "--lr", 1e-3, "--log-every", 1, "--device", "cpu"]
    argv += ["--max-seq-length", 32, "--loss", loss, "--mini-batch-size", 6, "--save-every", 2]
    helper = Path(__file__).parent / "killable_embed.py"

    def bertkit(out: Path, *extra, kill: str = ""):
        request = {"signal": kill, "at": 5, "argv": [str(a) for a in [*argv, "--out", out, *extra]]}
        return subprocess.run(
            [sys.executable, str(helper), json.dumps(request)], capture_output=True, text=True
        )

    reference = bertkit(tmp_path / "a")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "b"
    stopped = bertkit(out, kill=signal)
    assert stopped.returncode == (0 if signal == "SIGTERM" else -9), stopped.stderr
    checkpoints = sorted(p.name for p in (out / "train" / "checkpoints").glob("step-*.pt"))
    assert checkpoints[-1] == ("step-00000005.pt" if signal == "SIGTERM" else "step-00000004.pt")
    resumed = bertkit(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    expected = _losses(tmp_path / "a")
    assert len(expected) == 14  # two epochs of 7 NO_DUPLICATES batches (12 passages, 48 rows)
    np.testing.assert_allclose(_losses(out), expected, rtol=1e-6, atol=1e-7)
    a, b = (load_file(d / "model.safetensors") for d in (out, tmp_path / "a"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in b)
