"""Truncation to max_length and overflowing windows with a stride, as HF `tokenizers` does it.

Reference: HF `tokenizers` `utils/truncation.rs` (`truncate_encodings`) and `Encoding::truncate`
and `Encoding::merge_with` (the order of overflowing windows for pairs). Windows are how long
SQuAD contexts are read (Devlin et al. 2019, section 4.2: "doc_stride").
"""

from bertkit.errors import BertkitError
from bertkit.tokenizer.encoding import Segment

STRATEGIES = ("longest_first", "only_first", "only_second")


def windows(segment: Segment, max_len: int, stride: int) -> list[Segment]:
    """Cut `segment` into windows of `max_len` tokens, each starting `max_len - stride` later.

    The first window is the truncated segment; the rest are its overflow. A segment that fits
    is returned whole.
    """
    n = len(segment)
    if max_len >= n:
        return [segment]
    if max_len == 0:
        return [segment.slice(0, 0), segment]
    if stride >= max_len:
        raise BertkitError(
            f"stride ({stride}) must be less than the room left for this text ({max_len} tokens)"
        )
    parts = []
    for start in range(0, n, max_len - stride):
        stop = min(start + max_len, n)
        parts.append(segment.slice(start, stop))
        if stop == n:
            break
    return parts


def _pair_budget(n1: int, n2: int, max_length: int) -> tuple[int, int]:
    # longest_first: keep the shorter text whole when the longer one can absorb the cut,
    # otherwise split the room in half (the second text gets the odd token).
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > max_length else max(n1, max_length - n1)
    if n1 + n2 > max_length:
        n1 = max_length // 2
        n2 = n1 + max_length % 2
    return (n2, n1) if swap else (n1, n2)


def truncate(
    a: Segment, b: Segment | None, max_length: int, strategy: str, stride: int
) -> list[tuple[Segment, Segment | None]]:
    """Truncate a text (or pair) to `max_length` tokens in all, not counting special tokens.

    Returns the kept (a, b) first, then every overflowing window combination in HF's order.
    """
    if strategy not in STRATEGIES:
        raise BertkitError(f"truncation must be one of {', '.join(STRATEGIES)} or None")
    total = len(a) + (len(b) if b is not None else 0)
    if total <= max_length:
        return [(a, b)]
    to_remove = total - max_length
    a_parts, b_parts = [a], [b]
    if strategy == "longest_first":
        if b is None:
            a_parts = windows(a, max_length, stride)
        else:
            n_a, n_b = _pair_budget(len(a), len(b), max_length)
            a_parts, b_parts = windows(a, n_a, stride), windows(b, n_b, stride)
    else:
        if strategy == "only_second" and b is None:
            raise BertkitError("truncation='only_second' needs pairs of texts")
        target = a if strategy == "only_first" or b is None else b  # b is None: only_first
        if len(target) <= to_remove:
            raise BertkitError(
                f"cannot truncate with {strategy}: the {'first' if target is a else 'second'} "
                f"text has {len(target)} tokens but {to_remove} must go; "
                "use a larger max_length or truncation='longest_first'"
            )
        cut = windows(target, len(target) - to_remove, stride)
        if target is a:
            a_parts = cut
        else:
            b_parts = cut
    # HF's Encoding::merge_with order: (a0, b0), then each a overflow with b0 and every b overflow,
    # then a0 with every b overflow.
    combos = [(a_parts[0], b_parts[0])]
    for a_over in a_parts[1:]:
        combos += [(a_over, b_part) for b_part in b_parts]
    combos += [(a_parts[0], b_over) for b_over in b_parts[1:]]
    return combos
