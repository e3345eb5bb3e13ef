"""finetune and evaluate end to end on a tiny random model: outputs, best checkpoint, seeds."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bertkit import BertForQuestionAnswering, BertForSequenceClassification
from bertkit.errors import BertkitError
from bertkit.tasks.classify.task import ClassifyConfig
from bertkit.tasks.finetune import evaluate, finetune
from bertkit.tasks.ner.task import NerConfig
from bertkit.tasks.qa.task import QaConfig
from tests.tasks.conftest import write_conll, write_sentiment_tsv, write_similarity_tsv, write_squad

FAST = dict(batch_size=8, lr=1e-3, log_every=1, device="cpu")


def _eval_records(out):
    lines = (out / "train" / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == "eval"]


def test_classification_writes_a_model_directory_and_keeps_the_best_checkpoint(
    tiny_model_dir, tmp_path
):
    data = write_sentiment_tsv(tmp_path / "train.tsv")
    out = tmp_path / "out"
    config = ClassifyConfig(
        model=str(tiny_model_dir), train=str(data), eval=str(data), out=str(out),
        epochs=3, evals_per_epoch=2, **FAST,
    )  # fmt: skip
    result = finetune(config)
    assert {"config.json", "model.safetensors", "vocab.txt", "eval.json"} <= {
        p.name for p in out.iterdir()
    }
    saved = json.loads((out / "config.json").read_text())
    assert saved["id2label"] == {"0": "negative", "1": "positive"}  # SST-2 layout: GLUE names
    assert "BertForSequenceClassification" in saved["architectures"]
    stored = json.loads((out / "eval.json").read_text())
    assert {"accuracy", "f1", "f1_macro", "mcc"} <= set(stored)
    records = _eval_records(out)
    assert len(records) == 6  # two per epoch
    assert stored["accuracy"] == max(r["accuracy"] for r in records) == result["accuracy"]
    # The kept checkpoint scores what eval.json says.
    again = evaluate(ClassifyConfig(model=str(out), eval=str(data)), tmp_path / "again.json")
    assert again["accuracy"] == stored["accuracy"]


def test_real_valued_labels_train_a_regression_head(tiny_model_dir, tmp_path):
    data = write_similarity_tsv(tmp_path / "sts.tsv")
    out = tmp_path / "out"
    result = finetune(
        ClassifyConfig(
            model=str(tiny_model_dir),
            train=str(data),
            eval=str(data),
            out=str(out),
            epochs=1,
            **FAST,
        )
    )
    assert {"pearson", "spearman"} <= set(result)
    model = BertForSequenceClassification.from_pretrained(out)
    assert model.config.num_labels == 1 and model.config.problem_type == "regression"


def test_same_seed_same_run(tiny_model_dir, tmp_path):
    data = write_sentiment_tsv(tmp_path / "train.tsv")
    results = []
    for name in ("a", "b"):
        config = ClassifyConfig(
            model=str(tiny_model_dir), train=str(data), eval=str(data), out=str(tmp_path / name),
            epochs=1, seed=7, **FAST,
        )  # fmt: skip
        finetune(config)
        results.append(BertForSequenceClassification.from_pretrained(tmp_path / name).state_dict())
    assert all(torch.equal(results[0][k], results[1][k]) for k in results[0])


def test_ner_and_qa_runs_report_their_metrics(tiny_model_dir, tmp_path):
    conll = write_conll(tmp_path / "c.txt")
    ner = finetune(
        NerConfig(
            model=str(tiny_model_dir),
            train=str(conll),
            eval=str(conll),
            out=str(tmp_path / "ner"),
            epochs=1,
            **FAST,
        )
    )
    assert {"precision", "recall", "f1", "accuracy"} <= set(ner)
    assert set(ner["per_type"]) == {"LOC", "ORG", "PER"}
    saved = json.loads((tmp_path / "ner" / "config.json").read_text())
    assert saved["id2label"]["0"] == "O" and "B-PER" in saved["id2label"].values()
    squad = write_squad(tmp_path / "q.json")
    qa_config = dict(max_seq_length=48, doc_stride=8)
    qa = finetune(
        QaConfig(
            model=str(tiny_model_dir),
            train=str(squad),
            eval=str(squad),
            out=str(tmp_path / "qa"),
            epochs=1,
            **qa_config,
            **FAST,
        )
    )
    assert {"exact_match", "f1"} <= set(qa)
    scored = evaluate(QaConfig(model=str(tmp_path / "qa"), eval=str(squad), **qa_config))
    assert scored["f1"] == qa["f1"]
    assert json.loads((tmp_path / "qa" / "eval.json").read_text())["f1"] == qa["f1"]
    assert isinstance(
        BertForQuestionAnswering.from_pretrained(tmp_path / "qa"), BertForQuestionAnswering
    )


def test_eval_labels_unseen_in_training_are_skipped_and_counted(tiny_model_dir, tmp_path):
    train = write_sentiment_tsv(tmp_path / "train.tsv")
    dev = tmp_path / "dev.tsv"
    dev.write_text("sentence\tlabel\nthe movie was good\t1\nthe film was bad\t7\n")
    result = finetune(
        ClassifyConfig(
            model=str(tiny_model_dir),
            train=str(train),
            eval=str(dev),
            out=str(tmp_path / "o"),
            epochs=1,
            **FAST,
        )
    )
    assert result["skipped_eval"] == 1 and result["eval_examples"] == 1


def test_bad_input_stops_before_training_starts(tiny_model_dir, tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("sentence\tlabel\n")
    out = tmp_path / "never"
    with pytest.raises(BertkitError, match="empty.tsv:1: empty file"):
        finetune(
            ClassifyConfig(
                model=str(tiny_model_dir), train=str(empty), eval=str(empty), out=str(out)
            )
        )
    assert not out.exists()


@pytest.mark.hf
def test_transformers_loads_the_output_as_the_matching_class(tiny_model_dir, tmp_path):
    transformers = pytest.importorskip("transformers")
    data = write_sentiment_tsv(tmp_path / "train.tsv")
    out = tmp_path / "out"
    finetune(
        ClassifyConfig(
            model=str(tiny_model_dir),
            train=str(data),
            eval=str(data),
            out=str(out),
            epochs=1,
            **FAST,
        )
    )
    theirs = transformers.BertForSequenceClassification.from_pretrained(out).eval()
    ours = BertForSequenceClassification.from_pretrained(out).eval()
    tokenizer = transformers.BertTokenizerFast.from_pretrained(out)
    batch = tokenizer(
        ["the movie was good", "the film was very bad"], padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        expected = theirs(**batch).logits
        got = ours(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]).logits
    assert theirs.config.id2label == {0: "negative", 1: "positive"}
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_sigint_saves_a_checkpoint_and_resume_ends_with_the_uninterrupted_model(
    tiny_model_dir, tmp_path
):
    data = write_sentiment_tsv(tmp_path / "train.tsv")
    options = dict(epochs=2, evals_per_epoch=2, **FAST)
    finetune(
        ClassifyConfig(
            model=str(tiny_model_dir), train=str(data), eval=str(data), out=str(tmp_path / "a"),
            **options,
        )
    )  # fmt: skip
    out = tmp_path / "b"
    argv = ["finetune", "classify", "--model", tiny_model_dir, "--train", data, "--eval", data]
    argv += ["--out", out, "--epochs", 2, "--evals-per-epoch", 2, "--batch-size", 8]
    argv += ["--lr", 1e-3, "--log-every", 1, "--device", "cpu"]
    helper = Path(__file__).parents[1] / "train" / "faulty_run.py"

    def bertkit(argv, fault=""):
        request = json.dumps({"fault": fault, "at": 4, "argv": [str(a) for a in argv]})
        return subprocess.run(
            [sys.executable, str(helper), request], capture_output=True, text=True
        )

    stopped = bertkit(argv, fault="sigint")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped at step 4: SIGINT received" in stopped.stderr
    assert (out / "train" / "checkpoints" / "step-00000004.pt").exists()
    resumed = bertkit([*argv, "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert not (out / "train" / "checkpoints").exists()  # removed once the run is complete
    ours, reference = (json.loads((d / "eval.json").read_text()) for d in (out, tmp_path / "a"))
    for key in ("accuracy", "mcc", "best_evaluation", "evaluations"):
        assert ours[key] == reference[key], key
    a, b = (
        BertForSequenceClassification.from_pretrained(d).state_dict() for d in (out, tmp_path / "a")
    )
    assert all(torch.equal(a[k], b[k]) for k in b)
