"""Encoding a batch across worker processes: `encode_batch(..., num_workers=N)`.

Pure Python tokenizes on one core, so large batches are cut into jobs for a process pool (fork
where available). Workers send back flat integer arrays, not Python objects: pickling millions of
small lists and tuples would cost the parent as much as tokenizing did. The parent then adds the
special tokens itself, which is cheap.
"""

import gc
import multiprocessing
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain

from bertkit.tokenizer.encoding import Segment

MIN_TEXTS_PER_JOB = 256
Window = tuple[int, Segment, "Segment | None"]  # (sample, first, pair)
# What a worker runs on one job: fn(texts, pairs, first_sample=index of the first text) -> its
# windows. It is pickled once per worker, so a partial of a tokenizer's bound method fits.
WindowsFn = Callable[..., list[Window]]
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
    batch_windows: WindowsFn,
    texts: Sequence[str],
    pairs: Sequence[str] | None,
    num_workers: int,
) -> list[Window]:
    """`batch_windows` over `num_workers` processes, results in the original order."""
    size = max(MIN_TEXTS_PER_JOB, -(-len(texts) // (num_workers * 4)))
    jobs = [
        (start, texts[start : start + size], pairs[start : start + size] if pairs else None)
        for start in range(0, len(texts), size)
    ]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(
        num_workers, _init_worker, (batch_windows,)
    ) as pool:
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


# The worker's function, set once per process by the pool initializer.
_batch_windows: WindowsFn | None = None


def _init_worker(batch_windows: WindowsFn) -> None:
    global _batch_windows
    _batch_windows = batch_windows
    gc.disable()  # the worker only tokenizes; see paused_gc


def _run_job(job: tuple[int, Sequence[str], Sequence[str] | None]) -> Packed:
    start, texts, pairs = job
    assert _batch_windows is not None, "_run_job runs in a worker set up by _init_worker"
    return _pack(_batch_windows(texts, pairs, first_sample=start))
