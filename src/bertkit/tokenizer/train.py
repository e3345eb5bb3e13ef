"""Learning a WordPiece vocabulary from text files: `train_vocab`.

Like HF `tokenizers`' WordPieceTrainer (a BPE trainer with "##" continuations, Sennrich et al.
2016): count words in one streaming pass (memory grows with distinct words, not corpus size),
start from the characters (the `limit_alphabet` most frequent), then repeatedly merge the most
frequent adjacent pair until the vocabulary is full. Ties break on the pieces' text, so the result
is deterministic for a given corpus.
"""

import heapq
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.progress import progress_bar
from bertkit.tokenizer.basic import BasicTokenizer
from bertkit.tokenizer.textfile import iter_lines

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PREFIX = "##"
Pair = tuple[str, str]


def count_words(files: Iterable[Path], lowercase: bool, show_progress: bool = True) -> Counter:
    """Word frequencies after BERT's basic splitting, streaming the files line by line."""
    files = [Path(f) for f in files]
    for path in files:
        if not path.is_file():
            raise BertkitError(f"{path}: no such file")
    basic = BasicTokenizer(do_lower_case=lowercase)
    counts: Counter = Counter()
    total = sum(path.stat().st_size for path in files)
    progress = progress_bar(
        total=total, unit="B", unit_scale=True, desc="count words", disable=not show_progress
    )
    with progress as bar:
        for path in files:
            for line in iter_lines(path):
                counts.update(word for word, *_ in basic.split(line))
                bar.update(len(line.encode("utf-8")) + 1)
    return counts


def _alphabet(counts: Counter, limit: int) -> set[str]:
    chars: Counter = Counter()
    for word, n in counts.items():
        for ch in word:
            chars[ch] += n
    # Most frequent first; ties by character, so the cut is deterministic.
    ranked = sorted(chars.items(), key=lambda item: (-item[1], item[0]))
    return {ch for ch, _ in ranked[:limit]}


def _pairs(symbols: list[str | None]) -> Iterable[Pair]:
    for a, b in zip(symbols, symbols[1:]):  # noqa: B905 (pairs of neighbours)
        if a is not None and b is not None:
            yield a, b


def _merge(symbols: list[str | None], pair: Pair, merged: str) -> list[str | None]:
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(merged)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def train_vocab(
    files: list[Path],
    vocab_size: int,
    *,
    lowercase: bool,
    limit_alphabet: int = 1000,
    min_frequency: int = 2,
    show_progress: bool = True,
    special_tokens: tuple[str, ...] = SPECIAL_TOKENS,
) -> list[str]:
    """Learn a WordPiece vocabulary of at most `vocab_size` tokens from text files.

    Returns the tokens in id order: special tokens, the alphabet, "##" + each character seen
    inside words, then merged pieces in the order they were learned.
    """
    counts = count_words(files, lowercase, show_progress)
    alphabet = _alphabet(counts, limit_alphabet)
    # A word is a list of symbols; characters outside the alphabet are None and never merge.
    words = [
        [(ch if i == 0 else PREFIX + ch) if ch in alphabet else None for i, ch in enumerate(word)]
        for word in counts
    ]
    freqs = list(counts.values())
    inner = sorted({s for symbols in words for s in symbols[1:] if s is not None})
    vocab = list(dict.fromkeys([*special_tokens, *sorted(alphabet), *inner]))
    if len(vocab) > vocab_size:
        raise BertkitError(
            f"vocab_size {vocab_size} is smaller than the special tokens and alphabet "
            f"({len(vocab)}); raise it or lower limit_alphabet"
        )
    known = set(vocab)

    pair_counts: Counter = Counter()
    where: dict[Pair, set[int]] = {}
    for w, symbols in enumerate(words):
        for pair in _pairs(symbols):
            pair_counts[pair] += freqs[w]
            where.setdefault(pair, set()).add(w)
    heap = [(-n, pair) for pair, n in pair_counts.items()]
    heapq.heapify(heap)

    target = vocab_size - len(vocab)
    with progress_bar(total=target, desc="merge pairs", disable=not show_progress) as bar:
        while len(vocab) < vocab_size and heap:
            negative, pair = heapq.heappop(heap)
            if pair_counts.get(pair, 0) != -negative:
                continue  # stale entry: the count changed since it was pushed
            if -negative < min_frequency:
                break
            merged = pair[0] + pair[1].removeprefix(PREFIX)
            changed = set()
            for w in where.pop(pair, ()):
                old = words[w]
                new = _merge(old, pair, merged)
                if new == old:
                    continue
                for p in _pairs(old):
                    pair_counts[p] -= freqs[w]
                    changed.add(p)
                for p in _pairs(new):
                    pair_counts[p] += freqs[w]
                    where.setdefault(p, set()).add(w)
                    changed.add(p)
                words[w] = new
            for p in changed:
                if pair_counts[p] > 0:
                    heapq.heappush(heap, (-pair_counts[p], p))
                else:
                    del pair_counts[p]
            if merged not in known:
                known.add(merged)
                vocab.append(merged)
                bar.update(1)
    logger.info("learned %d tokens from %d distinct words", len(vocab), len(counts))
    return vocab
