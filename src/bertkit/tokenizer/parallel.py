"""Encoding a batch across worker processes: `encode_batch(..., num_workers=N)`.

Pure Python tokenizes on one core, so large batches are cut into jobs for a process pool (fork
where available). Workers send back flat integer arrays, not Python objects: pickling millions of
small lists and tuples would cost the parent as much as tokenizing did. The parent then adds the
special tokens itself, which is cheap.
"""

import gc
import multiprocessing
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import TYPE_CHECKING

from bertkit.tokenizer.encoding import Segment

if TYPE_CHECKING:
    from bertkit.tokenizer.tokenizer import WordPieceTokenizer

MIN_TEXTS_PER_JOB = 256
Window = tuple[int, Segment, "Segment | None"]  # (sample, first, pair)
# One packed job result: per segment (length or -1 for no pair) and sample; then flat ids,
# offsets (start, end, start, end, ...) and word ids.
Packed = tuple[array, array, array, array]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of a batch.

    A batch allocates millions of small lists and tuples, none in a reference cycle; the collector
    would rescan the growing result again and again (measured: it halves the speed).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def windows_parallel(
    tokenizer: "WordPieceTokenizer",
    texts: Sequence[str],
    pairs: Sequence[str] | None,
    options: dict,
    return_overflowing: bool,
    num_workers: int,
) -> list[Window]:
    """`tokenizer.batch_windows` over `num_workers` processes, in the original order."""
    size = max(MIN_TEXTS_PER_JOB, -(-len(texts) // (num_workers * 4)))
    jobs = [
        (start, texts[start : start + size], pairs[start : start + size] if pairs else None)
        for start in range(0, len(texts), size)
    ]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    settings = (tokenizer, options, return_overflowing)
    with multiprocessing.get_context(method).Pool(num_workers, _init_worker, settings) as pool:
        return [w for packed in pool.imap(_run_job, jobs) for w in _unpack(packed)]


def _pack(windows: list[Window]) -> Packed:
    meta, ids, offsets, word_ids = array("i"), array("i"), array("i"), array("i")
    for sample, a, b in windows:
        for segment in (a, b):
            if segment is None:
                meta.append(-1)
                continue
            meta.append(len(segment.ids))
            ids.extend(segment.ids)
            offsets.extend(chain.from_iterable(segment.offsets))
            word_ids.extend(segment.word_ids)
        meta.append(sample)
    return meta, ids, offsets, word_ids


def _unpack(packed: Packed) -> list[Window]:
    meta, ids, offsets, word_ids = (a.tolist() for a in packed)
    spans = list(zip(offsets[0::2], offsets[1::2], strict=True))
    windows, pos = [], 0
    for k in range(0, len(meta), 3):
        segments = []
        for n in meta[k : k + 2]:
            if n < 0:
                segments.append(None)
                continue
            segments.append(
                Segment(ids[pos : pos + n], spans[pos : pos + n], word_ids[pos : pos + n])
            )
            pos += n
        windows.append((meta[k + 2], segments[0], segments[1]))
    return windows


# The worker's tokenizer and options, set once per process by the pool initializer.
_job_settings: tuple["WordPieceTokenizer", dict, bool] | None = None


def _init_worker(tokenizer: "WordPieceTokenizer", options: dict, return_overflowing: bool) -> None:
    global _job_settings
    _job_settings = (tokenizer, options, return_overflowing)
    gc.disable()  # the worker only tokenizes; see paused_gc


def _run_job(job: tuple[int, Sequence[str], Sequence[str] | None]) -> Packed:
    start, texts, pairs = job
    tokenizer, options, return_overflowing = _job_settings
    return _pack(tokenizer.batch_windows(texts, pairs, options, return_overflowing, start))
