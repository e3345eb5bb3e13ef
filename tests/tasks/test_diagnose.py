"""Fine-tuning says when it failed: one-class predictions, a loss that did not fall; label names
from --label-names and GLUE's, end to end to the classify pipeline's output."""

import json
import logging

import pytest

from bertkit.cli.main import main
from bertkit.errors import BertkitError
from bertkit.pipelines import ClassifyPipeline
from bertkit.tasks.classify.data import Columns
from bertkit.tasks.classify.labels import label_ids, name_labels
from bertkit.tasks.classify.metrics import classification_metrics
from bertkit.tasks.classify.task import ClassifyConfig
from bertkit.tasks.diagnose import diagnose
from bertkit.tasks.finetune import finetune
from tests.tasks.conftest import write_sentiment_tsv


def write_losses(path, losses):
    lines = [json.dumps({"split": "train", "step": i + 1, "loss": x}) for i, x in enumerate(losses)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_one_class_predictions_are_a_warning_that_names_the_remedy(tmp_path, caplog):
    scores = classification_metrics([1, 1, 1, 1], [0, 1, 1, 0], 2)
    assert scores["mcc"] == 0.0 and scores["predicted_labels"] == 1
    falling = write_losses(tmp_path / "m.jsonl", [0.7, 0.6, 0.5, 0.4])
    with caplog.at_level(logging.WARNING):
        warnings = diagnose(scores, falling, lr=5e-5)
    assert len(warnings) == 1 and "same label" in warnings[0]
    assert "--epochs" in warnings[0] and "--lr" in warnings[0]
    assert "same label" in caplog.text
    two_classes = classification_metrics([1, 0, 1, 1], [0, 1, 1, 0], 2)
    assert diagnose(two_classes, falling, lr=5e-5) == []


def test_a_loss_that_did_not_fall_is_a_warning(tmp_path):
    flat = write_losses(tmp_path / "flat.jsonl", [0.69, 0.70, 0.69, 0.70, 0.69, 0.70, 0.70, 0.69])
    warnings = diagnose({"accuracy": 0.5}, flat, lr=5e-5)
    assert len(warnings) == 1 and "did not fall" in warnings[0] and "--lr" in warnings[0]
    fell = write_losses(tmp_path / "fell.jsonl", [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.2, 0.1])
    assert diagnose({"accuracy": 0.9}, fell, lr=5e-5) == []


def test_a_run_too_short_to_learn_warns_in_eval_json(tiny_model_dir, tmp_path, caplog):
    data = write_sentiment_tsv(tmp_path / "train.tsv")
    config = ClassifyConfig(
        model=str(tiny_model_dir), train=str(data), eval=str(data), out=str(tmp_path / "out"),
        epochs=1, batch_size=8, lr=1e-7, device="cpu",
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        result = finetune(config)
    assert result["warnings"] and "did not fall" in " ".join(result["warnings"])
    assert json.loads((tmp_path / "out" / "eval.json").read_text())["warnings"]
    records = (tmp_path / "out" / "train" / "metrics.jsonl").read_text().splitlines()
    assert sum('"train"' in line for line in records) >= 2  # 6 steps still log a line


def test_label_names_go_from_the_flag_to_config_json_and_the_pipeline(tiny_model_dir, tmp_path):
    lines = ["text\tlabel"] + [
        f"the movie was very {w} \t{label}"
        for label, words in enumerate([("bad", "awful", "poor"), ("good", "great", "nice")])
        for w in words * 8
    ]
    data = tmp_path / "reviews.tsv"
    data.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    args = ["finetune", "classify", "--model", str(tiny_model_dir), "--train", str(data)]
    args += ["--eval", str(data), "--out", str(out), "--epochs", "1", "--batch-size", "8"]
    args += ["--lr", "1e-3", "--device", "cpu", "--label-names", "negative,positive"]
    assert main(args) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["id2label"] == {"0": "negative", "1": "positive"}
    labels = ClassifyPipeline(out)(["the movie was very great", "the movie was very awful"])
    assert {label.label for label in labels} <= {"negative", "positive"}
    # evaluate reads the same file, whose labels are still written 0 and 1
    assert main(["evaluate", "classify", "--model", str(out), "--data", str(data)]) == 0
    scored = json.loads((out / "eval.json").read_text())
    assert scored["eval_examples"] == 48 and scored["skipped_eval"] == 0


def test_glue_files_get_glues_label_names_unless_told_otherwise():
    sst2 = Columns("sentence", "", "label")
    mrpc = Columns("#1 String", "#2 String", "Quality")
    assert name_labels(["0", "1"], "", sst2, "sst2.tsv") == ["negative", "positive"]
    assert name_labels(["0", "1"], "", mrpc, "mrpc.tsv") == ["not_equivalent", "equivalent"]
    assert name_labels(["0", "1"], "bad,good", sst2, "sst2.tsv") == ["bad", "good"]
    other = Columns("text", "", "label")
    assert name_labels(["0", "1"], "", other, "x.tsv") == ["0", "1"]
    assert name_labels(["neg", "pos"], "", other, "x.tsv") == ["neg", "pos"]
    assert label_ids(["negative", "positive"]) == {"negative": 0, "positive": 1, "0": 0, "1": 1}
    assert label_ids(["1", "2"]) == {"1": 0, "2": 1}  # integers as names keep their meaning


@pytest.mark.parametrize(
    ("written", "given", "message"),
    [(["0", "1"], "only", "2 distinct"), (["0", "1"], "a,a", "2 distinct"),
     (["neg", "pos"], "a,b", "integer labels")],
)  # fmt: skip
def test_wrong_label_names_are_one_line_errors(written, given, message):
    with pytest.raises(BertkitError, match=message):
        name_labels(written, given, Columns("text", "", "label"), "x.tsv")
