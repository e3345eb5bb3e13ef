"""A prepared data folder as batches: instances -> (dynamic) masking -> padded tensors.

Dynamic masking draws the mask of instance i in epoch e from rng(seed, e, i): a new mask every
epoch, yet the same one whatever the batch size, the number of processes or a resume in between.
The eval split always uses epoch 0, so every evaluation scores the same masks.
"""

import json
from pathlib import Path

import numpy as np
import torch

from bertkit.data.masking import (
    IGNORE_INDEX,
    MaskingConfig,
    MaskingVocab,
    mask_tokens,
    masking_vocab,
)
from bertkit.data.shards import INDEX_FILE, ShardReader
from bertkit.errors import BertkitError
from bertkit.tokenizer import WordPieceTokenizer
from bertkit.tokenizer.textfile import read_text


class PretrainingData:
    """The instances of one split ("train" or "eval") of a folder written by prepare_pretraining."""

    def __init__(
        self,
        data_dir: str | Path,
        split: str = "train",
        seed: int = 0,
        mlm_probability: float | None = None,
    ):
        """`mlm_probability` replaces the folder's masked_lm_prob (dynamic masking only)."""
        self.data_dir, self.split, self.seed = Path(data_dir), split, seed
        index_path = self.data_dir / INDEX_FILE
        if not index_path.exists():
            raise BertkitError(
                f"{self.data_dir}: no {INDEX_FILE} (run bertkit prepare-pretraining first, "
                "and let it finish)"
            )
        self.index = read_index(index_path)
        config = self.index["config"]
        self.is_static = config["masking"] == "static"
        self.max_seq_length = int(config["max_seq_length"])
        try:
            self.masking = MaskingConfig(**config["masking_config"])
        except TypeError as error:
            raise BertkitError(f"{index_path}: field config.masking_config: {error}") from None
        self.has_nsp = bool(config.get("nsp", True))  # folders written before --no-nsp had pairs
        if mlm_probability is not None and mlm_probability != self.masking.masked_lm_prob:
            if self.is_static:
                raise BertkitError(
                    f"{self.data_dir}: its masks are static (masked_lm_prob "
                    f"{self.masking.masked_lm_prob}); prepare it again to change mlm_probability"
                )
            self.masking = self.masking.with_probability(mlm_probability, self.max_seq_length)
        self.tokenizer = WordPieceTokenizer.from_pretrained(self.data_dir)
        self.vocab: MaskingVocab = masking_vocab(self.tokenizer)
        self.reader = ShardReader(
            self.data_dir,
            self.index["splits"].get(split, []),
            self.index["token_dtype"],
            self.is_static,
            vocab_size=len(self.tokenizer),
        )

    def __len__(self) -> int:
        return len(self.reader)

    def example(self, index: int, epoch: int) -> tuple[np.ndarray, np.ndarray, int, bool]:
        """(input_ids, labels, num_a, is_random_next) of instance `index`, masked for `epoch`."""
        tokens, num_a, is_random_next, labels = self.reader.get(index)
        if labels is None:
            rng = np.random.default_rng([self.seed, epoch, index])
            tokens, labels = mask_tokens(tokens, self.vocab, self.masking, rng)
        return tokens, labels, num_a, is_random_next

    def collate(self, indices: np.ndarray, epoch: int = 0) -> dict[str, torch.Tensor]:
        """A batch of the instances `indices`, padded to the longest."""
        examples = [self.example(int(i), epoch) for i in indices]
        return collate(examples, self.tokenizer.pad_token_id, self.has_nsp)


# The fields of index.json that reading relies on, and their types (prepare.py writes them).
INDEX_FIELDS = {
    "token_dtype": str,
    "splits": dict,
    "config": dict,
    "config.masking": str,
    "config.max_seq_length": int,
    "config.masking_config": dict,
}


def read_index(path: Path) -> dict:
    """index.json, checked field by field: a damaged one is one error naming the field."""
    try:
        index = json.loads(read_text(path))
    except (json.JSONDecodeError, RecursionError) as error:
        raise BertkitError(f"{path}: not valid JSON ({error})") from None
    for name, kind in INDEX_FIELDS.items():
        value = index
        for key in name.split("."):
            if not isinstance(value, dict) or key not in value:
                raise BertkitError(f"{path}: missing field {name}")
            value = value[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BertkitError(f"{path}: field {name} must be a {kind.__name__}, got {value!r:.40}")
    for key, value in index["config"]["masking_config"].items():
        if not isinstance(value, int | float):
            raise BertkitError(f"{path}: field config.masking_config.{key} must be a number")
    for split, shards in index["splits"].items():
        if not isinstance(shards, list):
            raise BertkitError(f"{path}: field splits.{split} must be a list of shards")
    return index


def collate(examples: list[tuple], pad_id: int, has_nsp: bool = True) -> dict[str, torch.Tensor]:
    """(input_ids, labels, num_a, is_random_next) tuples -> the tensors BertForPreTraining takes
    (without next_sentence_label when the data has no NSP pairs)."""
    length = max(len(ids) for ids, *_ in examples)
    batch = len(examples)
    input_ids = np.full((batch, length), pad_id, dtype=np.int64)
    labels = np.full((batch, length), IGNORE_INDEX, dtype=np.int64)
    token_type_ids = np.zeros((batch, length), dtype=np.int64)
    attention_mask = np.zeros((batch, length), dtype=np.int64)
    for row, (ids, row_labels, num_a, _) in enumerate(examples):
        input_ids[row, : len(ids)] = ids
        labels[row, : len(ids)] = row_labels
        token_type_ids[row, num_a : len(ids)] = 1
        attention_mask[row, : len(ids)] = 1
    batch = {
        "input_ids": torch.from_numpy(input_ids),
        "token_type_ids": torch.from_numpy(token_type_ids),
        "attention_mask": torch.from_numpy(attention_mask),
        "labels": torch.from_numpy(labels),
    }
    if has_nsp:
        batch["next_sentence_label"] = torch.tensor([int(e[3]) for e in examples])
    return batch
