"""`prepare-pretraining` holds out 5% of the documents by default, so `pretrain` with its defaults
reports held-out masked-LM accuracy; a corpus too small to spare any says so, and so does
`pretrain`, once."""

import json
import logging
import re

from bertkit.cli.main import main
from tests.conftest import need_file
from tests.data.synthetic import write_corpus, write_vocab
from tests.train.conftest import write_model_config

ARTICLES = 24  # a slice of WikiText-2 valid: seconds to prepare and score


def wikitext_slice(data_dir, path, articles: int):
    text = need_file(data_dir / "wikitext-2-raw" / "wiki.valid.raw").read_text("utf-8")
    # An article starts at a " = Title = " line (subsections are " = = ... = = ").
    starts = [m.start() for m in re.finditer(r"^ = [^=].* = $", text, flags=re.MULTILINE)]
    path.write_text(text[: starts[articles]], encoding="utf-8")
    return path


def test_defaults_on_wikitext2_write_held_out_mlm_accuracy(data_dir, minilm_dir, tmp_path, capsys):
    corpus = wikitext_slice(data_dir, tmp_path / "wiki.txt", ARTICLES)
    data, run = tmp_path / "data", tmp_path / "run"
    prepare = ["prepare-pretraining", "--corpus", str(corpus), "--vocab-from", str(minilm_dir)]
    assert main([*prepare, "--out", str(data), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["documents"] == ARTICLES
    assert summary["eval_documents"] == max(2, round(0.05 * ARTICLES))  # 5%, at least 2
    assert summary["held_out"].startswith(f"{summary['eval_documents']} of {ARTICLES} documents")

    pretrain = ["pretrain", "--data", str(data), "--config", "tiny", "--out", str(run)]
    assert main([*pretrain, "--max-steps", "2", "--batch-size", "4", "--no-progress"]) == 0
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    held_out = [r for r in records if r["split"] == "eval"]
    assert held_out and held_out[-1]["step"] == 2
    assert 0 <= held_out[-1]["mlm_acc"] <= 1 and held_out[-1]["mlm_loss"] > 0


def test_a_corpus_too_small_to_spare_documents_holds_none_out_and_pretrain_says_so_once(
    tmp_path, capsys, caplog
):
    vocab_dir = write_vocab(tmp_path / "vocab").parent
    corpus = write_corpus(tmp_path / "corpus.txt", num_docs=6)
    data, run = tmp_path / "data", tmp_path / "run"
    prepare = ["prepare-pretraining", "--corpus", str(corpus), "--vocab-from", str(vocab_dir)]
    prepare += ["--out", str(data), "--max-seq-length", "32", "--no-progress"]
    assert main(prepare) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["eval_documents"] == 0 and summary["train_documents"] == 6
    assert summary["held_out"].startswith("none: 6 documents, too few to spare")

    caplog.set_level(logging.WARNING)
    config = write_model_config(tmp_path / "tiny" / "config.json")
    pretrain = ["pretrain", "--data", str(data), "--config", str(config), "--out", str(run)]
    pretrain += ["--max-steps", "3", "--batch-size", "4", "--eval-every", "1", "--no-progress"]
    assert main(pretrain) == 0
    said = [r.getMessage() for r in caplog.records if "no held-out split" in r.getMessage()]
    assert len(said) == 1 and "--eval-fraction" in said[0]
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert not [r for r in records if r["split"] == "eval"]
