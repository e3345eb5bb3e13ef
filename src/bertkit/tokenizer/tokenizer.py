"""`WordPieceTokenizer`: BERT's tokenizer, giving the same ids, types and offsets as HF's.

Pipeline (google-research/bert `FullTokenizer`, HF `BertTokenizerFast`): basic splitting
(`basic.py`) -> WordPiece per word (`wordpiece.py`) -> truncation and windows (`truncation.py`)
-> [CLS]/[SEP] and padding (`encoding.py`). Where Google and HF differ (words of 101-200
characters, "[MASK]" written in the text) we follow HF.
"""

import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import overload

from bertkit.errors import BertkitError
from bertkit.tokenizer.basic import BasicTokenizer
from bertkit.tokenizer.encoding import (
    BatchEncoding,
    Encoding,
    Segment,
    build_encoding,
    pad_encodings,
)
from bertkit.tokenizer.parallel import MIN_TEXTS_PER_JOB, paused_gc, windows_parallel
from bertkit.tokenizer.truncation import truncate
from bertkit.tokenizer.vocab import (
    SPECIAL_TOKEN_KEYS,
    TOKENIZER_JSON,
    VOCAB_FILE,
    read_settings,
    read_tokenizer_json,
    read_vocab,
    write_tokenizer_files,
)
from bertkit.tokenizer.wordpiece import WordPiece

logger = logging.getLogger(__name__)

# HF's WordPiece decoder tidies each token: "hello ," -> "hello,", " n't" -> "n't", ...
_CLEANUP = (
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
    (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
)  # fmt: skip


class WordPieceTokenizer:
    """BERT WordPiece tokenizer: text -> ids, token types, offsets and word ids, and back.

    Args:
        vocab: token -> id, or the tokens in id order.
        do_lower_case: lowercase (uncased vocabularies).
        strip_accents: remove accents; None follows `do_lower_case`.
        tokenize_chinese_chars: make each CJK ideograph a word.
        max_input_chars_per_word: longer words become the unknown token (HF: 100, Google: 200).
        model_max_length: default length for padding="max_length" (from tokenizer_config.json).
    """

    def __init__(
        self,
        vocab: dict[str, int] | list[str],
        do_lower_case: bool = True,
        strip_accents: bool | None = None,
        tokenize_chinese_chars: bool = True,
        unk_token: str = "[UNK]",
        sep_token: str = "[SEP]",
        pad_token: str = "[PAD]",
        cls_token: str = "[CLS]",
        mask_token: str = "[MASK]",
        max_input_chars_per_word: int = 100,
        model_max_length: int | None = None,
    ):
        if isinstance(vocab, dict):
            self._id_to_token = [""] * len(vocab)
            for token, i in vocab.items():
                if not 0 <= i < len(vocab) or self._id_to_token[i]:
                    raise BertkitError("vocab ids must be 0..N-1, each used once")
                self._id_to_token[i] = token
        else:
            self._id_to_token = list(vocab)
        # As in HF, a token listed twice keeps its last id.
        self.vocab = {token: i for i, token in enumerate(self._id_to_token)}
        self.unk_token, self.sep_token, self.pad_token = unk_token, sep_token, pad_token
        self.cls_token, self.mask_token = cls_token, mask_token
        missing = [t for t in self.all_special_tokens if t not in self.vocab]
        if missing:
            raise BertkitError(f"vocabulary lacks the special tokens {', '.join(missing)}")
        self.do_lower_case = do_lower_case
        self.strip_accents = strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.max_input_chars_per_word = max_input_chars_per_word
        self.model_max_length = model_max_length
        specials = {t: self.vocab[t] for t in self.all_special_tokens}
        self._basic = BasicTokenizer(do_lower_case, strip_accents, tokenize_chinese_chars, specials)
        self._wordpiece = WordPiece(self.vocab, self.unk_token_id, max_input_chars_per_word)

    # ---- loading and saving

    @classmethod
    def from_pretrained(cls, path: str | Path, **overrides) -> "WordPieceTokenizer":
        """Load from a model directory (vocab.txt, or tokenizer.json where transformers 5 saved
        only that, + optional JSON settings), a vocab.txt file or a tokenizer.json file."""
        path = Path(path)
        if path.is_dir():
            vocab_file, settings = path / VOCAB_FILE, read_settings(path)
            if not vocab_file.exists() and (path / TOKENIZER_JSON).exists():
                vocab_file = path / TOKENIZER_JSON
            elif not vocab_file.exists():
                raise BertkitError(
                    f"{path}: no {VOCAB_FILE} (or {TOKENIZER_JSON}) in this directory"
                )
        elif path.exists():
            vocab_file, settings = path, {}
        else:
            raise BertkitError(f"{path}: no such file or directory")
        vocab: list[str] | dict[str, int]
        if vocab_file.name == TOKENIZER_JSON:
            vocab, from_json = read_tokenizer_json(vocab_file)
            settings = from_json | settings  # tokenizer_config.json wins where both say something
        else:
            vocab = read_vocab(vocab_file)
        settings.update(overrides)
        try:
            return cls(vocab, **settings)
        except BertkitError as error:
            raise BertkitError(f"{vocab_file}: {error}") from None

    def save_pretrained(self, directory: str | Path) -> list[Path]:
        """Write vocab.txt, tokenizer_config.json and special_tokens_map.json; return the paths."""
        settings = {key: getattr(self, key) for key in SPECIAL_TOKEN_KEYS}
        settings.update(
            do_lower_case=self.do_lower_case,
            strip_accents=self.strip_accents,
            tokenize_chinese_chars=self.tokenize_chinese_chars,
        )
        if self.model_max_length is not None:
            settings["model_max_length"] = self.model_max_length
        return write_tokenizer_files(Path(directory), self._id_to_token, settings)

    # ---- vocabulary

    def __len__(self) -> int:
        return len(self._id_to_token)

    @property
    def vocab_size(self) -> int:
        return len(self._id_to_token)

    @property
    def all_special_tokens(self) -> list[str]:
        return [self.unk_token, self.sep_token, self.pad_token, self.cls_token, self.mask_token]

    @property
    def all_special_ids(self) -> list[int]:
        return [self.vocab[t] for t in self.all_special_tokens]

    unk_token_id = property(lambda self: self.vocab[self.unk_token])
    sep_token_id = property(lambda self: self.vocab[self.sep_token])
    pad_token_id = property(lambda self: self.vocab[self.pad_token])
    cls_token_id = property(lambda self: self.vocab[self.cls_token])
    mask_token_id = property(lambda self: self.vocab[self.mask_token])

    @overload
    def convert_tokens_to_ids(self, tokens: str) -> int: ...
    @overload
    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int]: ...
    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | list[int]:
        """Token(s) -> id(s); unknown tokens give the unknown token's id."""
        unk: int = self.unk_token_id
        if isinstance(tokens, str):
            return self.vocab.get(tokens, unk)
        return [self.vocab.get(t, unk) for t in tokens]

    @overload
    def convert_ids_to_tokens(self, ids: int) -> str: ...
    @overload
    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]: ...
    def convert_ids_to_tokens(self, ids: int | Sequence[int]) -> str | list[str]:
        """Id(s) -> token(s)."""
        if isinstance(ids, int):
            return self._token(ids)
        return [self._token(int(i)) for i in _as_list(ids)]

    def _token(self, i: int) -> str:
        if not 0 <= i < len(self._id_to_token):
            raise BertkitError(f"token id {i} is outside the vocabulary (size {len(self)})")
        return self._id_to_token[i]

    # ---- text -> tokens

    def segment(self, text: str) -> Segment:
        """The wordpieces of one text, without special tokens, with offsets and word indices."""
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        word_ids: list[int] = []
        wordpiece = self._wordpiece
        for w, (word, start, alignment, special_id) in enumerate(self._basic.split(text)):
            if special_id is not None:
                ids.append(special_id)
                offsets.append((start, start + len(word)))
                word_ids.append(w)
                continue
            piece_ids, spans = wordpiece(word)
            ids += piece_ids
            if len(piece_ids) == 1 and alignment is None:
                offsets.append((start, start + len(word)))
                word_ids.append(w)
                continue
            if alignment is None:
                offsets += [(start + a, start + b) for a, b in spans]
            else:
                offsets += [(alignment[a], alignment[b - 1] + 1) for a, b in spans]
            word_ids += [w] * len(piece_ids)
        return Segment(ids, offsets, word_ids)

    def tokenize(self, text: str) -> list[str]:
        """The wordpieces of `text`, without special tokens."""
        return [self._id_to_token[i] for i in self.segment(text).ids]

    def windows(
        self,
        text: str,
        pair: str | None = None,
        *,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        truncation: str | None = "longest_first",
        stride: int = 0,
    ) -> list[tuple[Segment, Segment | None]]:
        """The (first, pair) segments of every window, kept one first, before special tokens."""
        a = self.segment(text)
        b = self.segment(pair) if pair is not None else None
        if max_length is None or truncation is None:
            return [(a, b)]
        n_special = (3 if b is not None else 2) if add_special_tokens else 0
        if max_length <= n_special:
            raise BertkitError(f"max_length {max_length} leaves no room beside special tokens")
        return truncate(a, b, max_length - n_special, truncation, stride)

    def build(
        self, a: Segment, b: Segment | None, add_special_tokens: bool, sample: int
    ) -> Encoding:
        """Turn one window's segments into an Encoding ([CLS] a [SEP] b [SEP])."""
        cls_sep = (self.cls_token_id, self.sep_token_id) if add_special_tokens else None
        return build_encoding(a, b, cls_sep, self._id_to_token, sample)

    def encode(
        self,
        text: str,
        pair: str | None = None,
        *,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        truncation: str | None = "longest_first",
        stride: int = 0,
        return_overflowing: bool = False,
        padding: bool | str = False,
    ) -> Encoding | list[Encoding]:
        """Encode a text or a pair. Truncation applies only when `max_length` is given.

        Returns one Encoding, or with `return_overflowing` every window (the first is the one
        returned otherwise).
        """
        parts = self.windows(
            text,
            pair,
            add_special_tokens=add_special_tokens,
            max_length=max_length,
            truncation=truncation,
            stride=stride,
        )
        if not return_overflowing:
            parts = parts[:1]
        encodings = [self.build(a, b, add_special_tokens, 0) for a, b in parts]
        pad_encodings(encodings, padding, max_length or self.model_max_length, self._pad)
        return encodings if return_overflowing else encodings[0]

    @property
    def _pad(self) -> tuple[int, str]:
        return self.pad_token_id, self.pad_token

    def encode_batch(
        self,
        texts: Sequence[str],
        pairs: Sequence[str] | None = None,
        *,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        truncation: str | None = "longest_first",
        stride: int = 0,
        return_overflowing: bool = False,
        num_workers: int = 1,
    ) -> list[Encoding]:
        """Encode many texts (and pairs) without padding; each window is its own Encoding.

        With `num_workers` > 1 the texts are shared among that many processes (same result).
        """
        if pairs is not None and len(pairs) != len(texts):
            raise BertkitError(f"got {len(texts)} texts but {len(pairs)} pairs")
        options = dict(
            add_special_tokens=add_special_tokens,
            max_length=max_length,
            truncation=truncation,
            stride=stride,
        )
        with paused_gc():
            if num_workers > 1 and len(texts) >= 2 * MIN_TEXTS_PER_JOB:
                job = partial(
                    self.batch_windows, options=options, return_overflowing=return_overflowing
                )
                windows = windows_parallel(job, texts, pairs, num_workers)
            else:
                windows = self.batch_windows(texts, pairs, options, return_overflowing)
            return [self.build(a, b, add_special_tokens, sample) for sample, a, b in windows]

    def batch_windows(
        self,
        texts: Sequence[str],
        pairs: Sequence[str] | None,
        options: dict,
        return_overflowing: bool,
        first_sample: int = 0,
    ) -> list[tuple[int, Segment, Segment | None]]:
        """(sample, first, pair) segments of every window of a batch; `options` go to `windows`."""
        out = []
        for i, text in enumerate(texts):
            parts = self.windows(text, pairs[i] if pairs is not None else None, **options)
            sample = first_sample + i
            out += [(sample, a, b) for a, b in (parts if return_overflowing else parts[:1])]
        return out

    def __call__(
        self,
        texts: str | Sequence[str],
        pairs: str | Sequence[str] | None = None,
        *,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        truncation: str | None = "longest_first",
        stride: int = 0,
        return_overflowing: bool = False,
        padding: bool | str = "longest",
        return_tensors: str | None = None,
        num_workers: int = 1,
    ) -> BatchEncoding:
        """Encode a batch (a single string counts as a batch of one) into padded columns."""
        if isinstance(texts, str):
            texts = [texts]
            pairs = [pairs] if isinstance(pairs, str) else pairs
        encodings = self.encode_batch(
            texts,
            pairs,
            num_workers=num_workers,
            add_special_tokens=add_special_tokens,
            max_length=max_length,
            truncation=truncation,
            stride=stride,
            return_overflowing=return_overflowing,
        )
        with paused_gc():
            pad_encodings(encodings, padding, max_length or self.model_max_length, self._pad)
            return BatchEncoding(encodings, return_tensors)

    # ---- ids -> text

    def decode(
        self, ids: int | Sequence[int], skip_special_tokens: bool = False, cleanup: bool = True
    ) -> str:
        """Join tokens back into text as HF's WordPiece decoder does ("##" pieces glued on).

        `cleanup` applies HF's per-token tidying (" ," -> ","); ids outside the vocabulary are
        skipped, as in HF.
        """
        ids = [ids] if isinstance(ids, int) else _as_list(ids)
        skip = set(self.all_special_ids) if skip_special_tokens else set()
        n = len(self._id_to_token)
        tokens = [self._id_to_token[i] for i in ids if 0 <= i < n and i not in skip]
        parts = []
        for k, token in enumerate(tokens):
            if k > 0:
                token = token[2:] if token.startswith("##") else " " + token
            if cleanup:
                for dirty, clean in _CLEANUP:
                    token = token.replace(dirty, clean)
            parts.append(token)
        return "".join(parts)


def _as_list(ids) -> list[int]:
    return ids.tolist() if hasattr(ids, "tolist") else [int(i) for i in ids]
