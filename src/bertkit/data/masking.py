"""Masked-LM corruption of one sequence (Devlin et al. 2018, section 3.1 and appendix A.1).

As google's `create_masked_lm_predictions`: choose 15% of the tokens (at most
`max_predictions_per_seq`), in whole words with `whole_word`; replace 80% of them with [MASK], 10%
with a random token, keep 10%. Two deliberate differences: the 15% counts the maskable tokens only
(google counts [CLS] and [SEP] too, which selects ~15.4% at length 128 and more in short sequences),
and, as Hugging Face's collator, special tokens (including [UNK]) are never chosen nor drawn as the
random replacement.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from bertkit.errors import BertkitError
from bertkit.labels import IGNORE_INDEX
from bertkit.tokenizer import WordPieceTokenizer


@dataclass(frozen=True)
class MaskingConfig:
    masked_lm_prob: float = 0.15  # share of the maskable tokens to predict
    max_predictions_per_seq: int = 20  # cap per sequence (google's default for length 128)
    whole_word: bool = False  # choose whole words: a word's "##" pieces are masked with it
    mask_prob: float = 0.8  # of the chosen tokens: [MASK]
    random_prob: float = 0.1  # of the chosen tokens: a random token (the rest stay unchanged)

    def with_probability(self, probability: float, max_seq_length: int) -> "MaskingConfig":
        """The same recipe predicting `probability` of the tokens (MosaicBERT: 0.30), with the
        per-sequence cap raised so that it does not cut the new share short."""
        if not 0 < probability < 1:
            raise BertkitError(f"mlm_probability must be in (0, 1), got {probability}")
        needed = math.ceil(probability * max_seq_length)
        return replace(
            self,
            masked_lm_prob=probability,
            max_predictions_per_seq=max(self.max_predictions_per_seq, needed),
        )


@dataclass(frozen=True)
class MaskingVocab:
    """Per-id facts about a vocabulary that masking needs, as lookup tables."""

    mask_id: int
    is_special: np.ndarray  # (V,) bool: never chosen, never drawn as a random replacement
    is_continuation: np.ndarray  # (V,) bool: "##" pieces, glued to the previous token's word
    random_ids: np.ndarray  # ids a chosen token may be replaced with

    @classmethod
    def from_tokens(cls, tokens: list[str], special_tokens: list[str], mask_token: str):
        """Tables for the vocabulary `tokens` (in id order)."""
        specials = set(special_tokens)
        is_special = np.array([t in specials for t in tokens], dtype=bool)
        is_continuation = np.array([t.startswith("##") for t in tokens], dtype=bool)
        return cls(
            mask_id=tokens.index(mask_token),
            is_special=is_special,
            is_continuation=is_continuation,
            random_ids=np.flatnonzero(~is_special),
        )


def masking_vocab(tokenizer: WordPieceTokenizer) -> MaskingVocab:
    """The masking tables of a tokenizer's vocabulary."""
    tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return MaskingVocab.from_tokens(tokens, tokenizer.all_special_tokens, tokenizer.mask_token)


def mask_tokens(
    ids: np.ndarray, vocab: MaskingVocab, config: MaskingConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Corrupt one sequence of token ids.

    Returns:
        input_ids: the corrupted copy of `ids`.
        labels: the original id at every chosen position, IGNORE_INDEX (-100) elsewhere.
    """
    ids = np.asarray(ids)
    maskable = ~vocab.is_special[ids]
    positions = np.flatnonzero(maskable)
    # A word is a maskable token and the "##" pieces that follow it (google's cand_indexes).
    starts = maskable.copy()
    if config.whole_word:
        glued = vocab.is_continuation[ids[1:]] & maskable[:-1]
        starts[1:] &= ~glued
    word_of = np.cumsum(starts)[positions] - 1  # word number of each maskable position
    num_words = int(word_of[-1]) + 1 if len(positions) else 0
    num_to_predict = min(
        config.max_predictions_per_seq,
        max(1, round(len(positions) * config.masked_lm_prob)) if len(positions) else 0,
    )

    chosen_words, num_chosen = [], 0
    word_sizes = np.bincount(word_of, minlength=num_words)
    for word in rng.permutation(num_words):
        if num_chosen >= num_to_predict:
            break
        # Whole words only: skip a word that would overshoot the budget, as google does.
        if num_chosen + word_sizes[word] > num_to_predict:
            continue
        chosen_words.append(word)
        num_chosen += int(word_sizes[word])
    chosen = positions[np.isin(word_of, chosen_words)]

    input_ids, labels = ids.copy(), np.full(len(ids), IGNORE_INDEX, dtype=np.int64)
    labels[chosen] = ids[chosen]
    draw = rng.random(len(chosen))
    to_mask = chosen[draw < config.mask_prob]
    to_random = chosen[(draw >= config.mask_prob) & (draw < config.mask_prob + config.random_prob)]
    input_ids[to_mask] = vocab.mask_id
    input_ids[to_random] = rng.choice(vocab.random_ids, size=len(to_random))
    return input_ids, labels
