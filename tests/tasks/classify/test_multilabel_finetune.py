"""`bertkit finetune classify --multi-label` end to end on a tiny model: the saved directory reads
the same in transformers' text-classification pipeline (sigmoid, every label), the thresholds are
kept and used, and `evaluate` scores the saved model as training did."""

import json
import random

import numpy as np
import pytest

from bertkit.cli.main import main
from bertkit.pipelines import ClassifyPipeline
from tests.tasks.conftest import make_tiny_model_dir

transformers = pytest.importorskip("transformers")

PEOPLE, PLACES, COMPANIES = ["john smith", "mary jones"], ["paris", "london"], ["acme corp"]
FILLER = "the movie was very good bad fine".split()


def write_rows(path, n: int, seed: int):
    """Invented sentences labelled with the kinds of name they mention (none, one or several)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        words, labels = rng.sample(FILLER, 3), []
        for names, label in ((PEOPLE, "PER"), (PLACES, "LOC"), (COMPANIES, "ORG")):
            if rng.random() < 0.4:
                words.insert(rng.randrange(len(words) + 1), rng.choice(names))
                labels.append(label)
        lines.append(json.dumps({"text": " ".join(words), "labels": labels}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("multilabel")
    model = make_tiny_model_dir(root / "pretrained")
    train = write_rows(root / "train.jsonl", 96, seed=0)
    dev = write_rows(root / "dev.jsonl", 40, seed=1)
    out = root / "out"
    args = ["finetune", "classify", "--multi-label", "--tune-thresholds", "--model", str(model),
            "--train", str(train), "--eval", str(dev), "--out", str(out), "--epochs", "3",
            "--batch-size", "16", "--lr", "1e-3", "--device", "cpu",
            "--max-seq-length", "32"]  # fmt: skip
    assert main(args) == 0
    return out, dev


def test_saved_model_is_multi_label_with_its_thresholds(trained, capsys):
    out, _ = trained
    config = json.loads((out / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert sorted(config["id2label"].values()) == ["LOC", "ORG", "PER"]
    thresholds = json.loads((out / "thresholds.json").read_text())["thresholds"]
    scores = json.loads((out / "eval.json").read_text())
    assert thresholds == pytest.approx(scores["thresholds"])
    assert all(0 <= t <= 1 for t in thresholds.values())
    assert {"f1_micro", "f1_macro", "roc_auc_mean", "exact_match", "per_label"} <= set(scores)


def test_transformers_sigmoid_scores_equal_the_pipeline(trained):
    out, _ = trained
    texts = ["mary jones visited paris", "the movie was good", "acme corp in london"]
    reference = transformers.pipeline("text-classification", model=str(out))
    expected = reference(texts, function_to_apply="sigmoid", top_k=None)
    pipe = ClassifyPipeline(out)
    every = pipe(texts, threshold=0.0)
    for ours, theirs in zip(every, expected, strict=True):
        assert {x.label: x.score for x in ours} == pytest.approx(
            {x["label"]: x["score"] for x in theirs}, abs=1e-5
        )
    # By default: the labels at or above their own thresholds, most likely first.
    thresholds = json.loads((out / "thresholds.json").read_text())["thresholds"]
    for chosen, scored in zip(pipe(texts), every, strict=True):
        assert [x.label for x in chosen] == [
            x.label for x in scored if x.score >= thresholds[x.label]
        ]


def test_evaluate_uses_the_saved_thresholds(trained, tmp_path):
    out, dev = trained
    report = tmp_path / "report.json"
    args = ["evaluate", "classify", "--multi-label", "--model", str(out), "--data", str(dev)]
    assert main([*args, "--out", str(report)]) == 0
    again = json.loads(report.read_text())
    trained_scores = json.loads((out / "eval.json").read_text())
    for name in ("f1_micro", "f1_macro", "roc_auc_mean", "exact_match"):
        assert again[name] == pytest.approx(trained_scores[name], abs=1e-6)
    assert np.isfinite(again["roc_auc_mean"])


def test_bad_rows_stop_the_run_in_one_line(tmp_path, capsys):
    model = make_tiny_model_dir(tmp_path / "m")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,comment_text,toxic,insult\n1,fine,0,0\n2,awful,1,yes\n")
    args = ["finetune", "classify", "--multi-label", "--model", str(model), "--train", str(bad),
            "--eval", str(bad), "--out", str(tmp_path / "o"), "--text-column", "comment_text",
            "--label-columns", "toxic,insult"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {bad}:3: label column 'insult' is 'yes', not 0 or 1"
    holes = tmp_path / "holes.jsonl"
    holes.write_text('{"text": "fine", "labels": []}\n{"text": "no labels field"}\n')
    no_label = [*args[:6], str(holes), "--eval", str(holes), "--out", str(tmp_path / "o2")]
    assert main(no_label) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {holes}:2: no label in column 'labels' (write [] for none)"
    assert main(["finetune", "classify", "--tune-thresholds", *args[3:]]) == 2
    assert "add --multi-label" in capsys.readouterr().err
