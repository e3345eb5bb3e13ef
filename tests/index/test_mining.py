"""Hard-negative mining on real SQuAD paragraphs: the positive is never a negative, negatives come
from the asked positions of the ranking, the margin keeps near-positives out; checked against a
brute-force numpy ranking of the same vectors, and the output read by the embed and rerank tasks."""

import json

import numpy as np
import pytest

from bertkit.cli.main import main
from bertkit.errors import BertkitError
from bertkit.index.mining import MiningConfig, mine_negatives
from bertkit.pipelines import EmbedPipeline
from bertkit.pipelines.embed import unit
from bertkit.tasks.embed.data import Columns, read_rows_of
from bertkit.tasks.rerank.data import read_groups
from tests.index.conftest import write_jsonl


@pytest.fixture
def corpus(squad_paragraphs, tmp_path):
    rows = squad_paragraphs[:80]
    return rows, write_jsonl(tmp_path / "corpus.jsonl", rows)


def write_pairs(path, rows):
    path.write_text(
        "".join(json.dumps({"anchor": r["question"], "positive": r["text"]}) + "\n" for r in rows)
    )
    return path


def expected_negatives(embed, rows, anchor, positive, config):
    """Positions [start, end) of the full cosine ranking without the positive, margin-filtered."""
    passages = unit(embed([r["text"] for r in rows]))
    a, p = unit(embed([anchor, positive]))
    scores = passages @ a
    order = [i for i in np.argsort(-scores, kind="stable") if rows[i]["text"] != positive]
    threshold = float(a @ p) - config.margin
    window = order[config.range_start : config.range_end]
    kept = [rows[i]["text"] for i in window if scores[i] <= threshold]
    return kept[: config.num_negatives]


def test_dense_mining_equals_the_brute_force_ranking(tiny_embedder, corpus, tmp_path):
    rows, corpus_file = corpus
    pairs = write_pairs(tmp_path / "pairs.jsonl", rows[:12])
    config = MiningConfig(num_negatives=3, range_start=5, range_end=30, margin=0.0)
    summary = mine_negatives(
        pairs, tmp_path / "mined.jsonl", config, model_dir=tiny_embedder, corpus=[corpus_file]
    )
    mined = [json.loads(line) for line in (tmp_path / "mined.jsonl").read_text().splitlines()]
    assert summary["pairs"] == 12 and summary["written"] == len(mined) > 0
    assert summary["skipped_positive"] >= 1  # the positive is in the corpus: found and removed
    embed = EmbedPipeline(tiny_embedder)
    by_anchor = {r["question"]: r["text"] for r in rows[:12]}
    for row in mined:
        negatives = [row[f"negative_{j}"] for j in (1, 2, 3)]
        assert row["positive"] == by_anchor[row["anchor"]] and row["positive"] not in negatives
        assert len(set(negatives)) == 3
        assert negatives == expected_negatives(embed, rows, row["anchor"], row["positive"], config)


def test_the_margin_skips_candidates_scored_near_the_positive(tiny_embedder, corpus, tmp_path):
    rows, corpus_file = corpus
    pairs = write_pairs(tmp_path / "pairs.jsonl", rows[:12])
    embed = EmbedPipeline(tiny_embedder)
    counts = []
    for margin in (-1.0, 0.0):  # -1: nothing is skipped (cosines differ by less than 2)
        config = MiningConfig(num_negatives=2, range_start=0, range_end=40, margin=margin)
        out = tmp_path / f"mined{margin}.jsonl"
        summary = mine_negatives(pairs, out, config, model_dir=tiny_embedder, corpus=[corpus_file])
        counts.append(summary["skipped_margin"])
        for line in out.read_text().splitlines():
            row = json.loads(line)
            a, p, *n = unit(
                embed([row["anchor"], row["positive"], row["negative_1"], row["negative_2"]])
            )
            assert all(float(a @ v) <= float(a @ p) - margin + 1e-5 for v in n)
    assert counts[0] == 0 and counts[1] > 0


@pytest.mark.parametrize("method", ["bm25", "hybrid"])
def test_lexical_methods_never_return_the_positive(tiny_embedder, corpus, tmp_path, method):
    rows, corpus_file = corpus
    pairs = write_pairs(tmp_path / "pairs.jsonl", rows[:8])
    config = MiningConfig(num_negatives=2, range_start=2, range_end=20, method=method, margin=-1)
    out = tmp_path / "mined.tsv"
    summary = mine_negatives(pairs, out, config, model_dir=tiny_embedder, corpus=[corpus_file])
    assert summary["written"] == 8
    # A question shares words with its own paragraph: BM25 ranks it in the top 21 nearly always.
    assert summary["skipped_positive"] >= 6
    embed_rows = read_rows_of(out, Columns(score="-"))  # the embed task's triplet reader
    assert embed_rows.num_negatives == 2 and len(embed_rows.rows) == 8
    for row in embed_rows.rows:
        assert row.texts[1] not in row.texts[2:]
    groups = read_groups(out)  # the rerank task's reader
    assert groups.is_listwise and all(g.labels == [1.0, 0.0, 0.0] for g in groups.groups)


def test_pairs_without_enough_candidates_are_dropped(tiny_embedder, corpus, tmp_path):
    rows, corpus_file = corpus
    pairs = write_pairs(tmp_path / "pairs.jsonl", rows[:4])
    config = MiningConfig(num_negatives=5, range_start=76, range_end=90, margin=-1)
    with pytest.raises(BertkitError, match="no pair kept enough negatives"):
        mine_negatives(
            pairs, tmp_path / "m.jsonl", config, model_dir=tiny_embedder, corpus=[corpus_file]
        )
    assert not (tmp_path / "m.jsonl").exists()


def test_mine_negatives_command_prints_a_summary(tiny_embedder, corpus, tmp_path, capsys):
    rows, corpus_file = corpus
    pairs = write_pairs(tmp_path / "pairs.jsonl", rows[:6])
    out = tmp_path / "mined.csv"
    argv = ["mine-negatives", "--model", str(tiny_embedder), "--corpus", str(corpus_file)]
    argv += ["--pairs", str(pairs), "--out", str(out), "--k", "2", "--margin", "-1"]
    argv += ["--range", "3,20"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["written"] == 6 and out.exists()
    assert read_groups(out).groups[0].candidates[0] == rows[0]["text"]
    assert main(argv[:-2] + ["--range", "20,3"]) == 2
    assert "range must be START,END" in capsys.readouterr().err
