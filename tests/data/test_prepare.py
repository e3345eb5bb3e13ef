"""prepare_pretraining end to end: shards, index, determinism across workers, read-back batches."""

import hashlib
import json

import numpy as np
import pytest
import torch

from bertkit.data import ShuffledBatches
from bertkit.data.dataset import PretrainingData
from bertkit.data.masking import IGNORE_INDEX
from bertkit.data.prepare import PrepareConfig, prepare_pretraining
from bertkit.errors import BertkitError
from bertkit.tokenizer import WordPieceTokenizer
from tests.data.synthetic import write_corpus, write_vocab


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    files = [write_corpus(root / f"part{i}.txt", num_docs=30, seed=i) for i in range(3)]
    return files, WordPieceTokenizer.from_pretrained(write_vocab(root / "vocab"))


def prepare(corpus, out, **options):
    files, tokenizer = corpus
    config = PrepareConfig(max_seq_length=32, docs_per_shard=20, **options)
    return prepare_pretraining(files, tokenizer, out, config, progress=False)


def digest(folder):
    files = sorted(folder.glob("*.bin"))
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_output_depends_on_the_seed_not_on_the_number_of_workers(corpus, tmp_path):
    prepare(corpus, tmp_path / "one", workers=1, seed=3)
    prepare(corpus, tmp_path / "two", workers=2, seed=3)
    prepare(corpus, tmp_path / "other", workers=1, seed=4)
    # 6 pools (30 = 20 + 10 per file), each a train and an eval shard (5% held out by default,
    # at least 2 documents), 2 files each
    assert len(digest(tmp_path / "one")) == 6 * 2 * 2
    assert digest(tmp_path / "one") == digest(tmp_path / "two")
    assert digest(tmp_path / "one") != digest(tmp_path / "other")


def test_index_lists_shards_and_the_summary_counts(corpus, tmp_path):
    summary = prepare(corpus, tmp_path, eval_fraction=0.1)
    index = json.loads((tmp_path / "index.json").read_text())
    assert summary["documents"] == 90
    assert sum(s["instances"] for s in index["splits"]["train"]) == summary["train_instances"]
    assert summary["eval_instances"] > 0 and summary["eval_documents"] >= 2 * 6
    assert (tmp_path / "vocab.txt").exists()


def test_batches_have_segments_padding_masks_and_labels(corpus, tmp_path):
    prepare(corpus, tmp_path)
    data = PretrainingData(tmp_path, "train", seed=0)
    batch = data.collate(np.arange(16), epoch=0)
    ids, types, attention = batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]
    assert ids.shape == types.shape == attention.shape == batch["labels"].shape
    assert ids.shape[0] == 16 and ids.shape[1] <= 32
    assert (ids[:, 0] == data.tokenizer.cls_token_id).all()
    assert (ids[attention == 0] == data.tokenizer.pad_token_id).all()
    assert (batch["labels"][attention == 0] == IGNORE_INDEX).all()
    assert (types[attention == 0] == 0).all() and types.sum() > 0
    assert set(batch["next_sentence_label"].tolist()) <= {0, 1}


def test_dynamic_masks_change_with_the_epoch_and_repeat_within_it(corpus, tmp_path):
    prepare(corpus, tmp_path)
    data = PretrainingData(tmp_path, "train", seed=0)
    indices = np.arange(8)
    epoch0, again, epoch1 = (data.collate(indices, e)["labels"] for e in (0, 0, 1))
    assert torch.equal(epoch0, again)
    assert not torch.equal(epoch0, epoch1)


def test_static_masking_stores_the_masks(corpus, tmp_path):
    prepare(corpus, tmp_path, masking="static", dupe_factor=2)
    data = PretrainingData(tmp_path, "train", seed=0)
    assert data.is_static
    epoch0, epoch1 = (data.collate(np.arange(8), e)["labels"] for e in (0, 1))
    assert torch.equal(epoch0, epoch1)
    assert (epoch0 != IGNORE_INDEX).any()


def test_process_slices_of_a_global_batch_cover_it_exactly():
    make = lambda indices, epoch: indices.tolist()  # noqa: E731
    single = iter(ShuffledBatches(50, 8, make, seed=1))
    ranks = [iter(ShuffledBatches(50, 4, make, seed=1, rank=r, world_size=2)) for r in range(2)]
    for _ in range(12):  # crosses epochs: 50 // 8 = 6 global batches each
        assert sorted(next(single)) == sorted(next(ranks[0]) + next(ranks[1]))


def test_resume_jumps_to_the_position_without_reading_skipped_batches():
    made = []
    make = lambda indices, epoch: made.append(epoch) or indices.tolist()  # noqa: E731
    stream = ShuffledBatches(10_000_000, 8, make, seed=1)
    stream.load_state_dict({"position": 3_000_000})  # 24M examples in: epoch 2
    batch = next(iter(stream))
    assert made == [2] and len(batch) == 8  # one batch built, none replayed
    assert stream.state_dict() == {"position": 3_000_001}


def test_no_nsp_data_has_full_length_segments_and_no_nsp_labels(corpus, tmp_path):
    summary = prepare(corpus, tmp_path, nsp=False, eval_fraction=0.1)
    assert summary["random_next_fraction"] is None
    data = PretrainingData(tmp_path, "train", seed=0)
    assert not data.has_nsp
    batch = data.collate(np.arange(16), epoch=0)
    assert "next_sentence_label" not in batch
    assert (batch["token_type_ids"] == 0).all()  # one segment: no sentence B
    ids, attention = batch["input_ids"], batch["attention_mask"]
    assert (ids[:, 0] == data.tokenizer.cls_token_id).all()
    real = attention.sum(1)
    assert ((ids == data.tokenizer.sep_token_id).sum(1) == 1).all()  # one [SEP], at the end
    assert (ids[torch.arange(16), real - 1] == data.tokenizer.sep_token_id).all()
    assert real.float().mean() > 24  # packed near the 32-token limit
    prepare(corpus, tmp_path / "pairs")
    pairs = PretrainingData(tmp_path / "pairs", "train")
    assert len(data) < len(pairs)  # one segment per chunk, not pairs with random B's


def test_mlm_probability_changes_the_share_of_masked_tokens(corpus, tmp_path):
    prepare(corpus, tmp_path)
    shares = {}
    for probability in (None, 0.3):
        data = PretrainingData(tmp_path, "train", seed=0, mlm_probability=probability)
        batch = data.collate(np.arange(64), epoch=0)
        maskable = batch["attention_mask"].sum() - 3 * 64  # [CLS] and two [SEP]s
        shares[probability] = float((batch["labels"] != IGNORE_INDEX).sum() / maskable)
    assert shares[None] == pytest.approx(0.15, abs=0.02)
    assert shares[0.3] == pytest.approx(0.30, abs=0.03)


def test_mlm_probability_of_static_masks_cannot_change(corpus, tmp_path):
    prepare(corpus, tmp_path, masking="static")
    with pytest.raises(BertkitError, match="static"):
        PretrainingData(tmp_path, "train", mlm_probability=0.3)
