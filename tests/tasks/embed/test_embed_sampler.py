"""NO_DUPLICATES batches: never two copies of one text in a batch, every row once per epoch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bertkit.errors import BertkitError
from bertkit.tasks.embed.sampler import NoDuplicatesBatches, no_duplicate_batches

rows_strategy = st.lists(
    st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("pqrstuvw")), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, batch_size=st.integers(1, 9), seed=st.integers(0, 3))
def test_no_batch_holds_a_text_twice_and_each_row_comes_once(rows, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(rows)).tolist()
    batches = no_duplicate_batches(rows, batch_size, order)
    for batch in batches:
        assert 1 <= len(batch) <= batch_size
        texts = [text for i in batch for text in rows[i]]
        # A row may repeat its own text (anchor == positive); two rows may never share one.
        assert sum(len(set(rows[i])) for i in batch) == len(set(texts))
    assert sorted(i for batch in batches for i in batch) == list(range(len(rows)))


def test_batches_are_full_when_the_texts_allow_and_resume_where_they_stopped():
    rows = [(f"q{i}", f"p{i % 40}") for i in range(200)]  # five questions per passage
    make = lambda indices, epoch: (epoch, indices.tolist())  # noqa: E731
    stream = NoDuplicatesBatches(rows, 32, make, seed=7)
    it = iter(stream)
    first = [next(it) for _ in range(stream.batches_per_epoch + 3)]  # into the second epoch
    sizes = [len(b) for _, b in first[: stream.batches_per_epoch]]
    assert sizes[:5] == [32] * 5 and sum(sizes) == 200  # full while 32 distinct passages remain
    assert first[-1][0] == 1
    resumed = NoDuplicatesBatches(rows, 32, make, seed=7)
    resumed.load_state_dict({"position": 5})
    assert next(iter(resumed)) == first[5]


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, batch_size=st.integers(1, 5), seed=st.integers(0, 3))
def test_two_processes_split_each_global_batch_evenly_and_without_overlap(rows, batch_size, seed):
    """Under torchrun the W = 2 processes take equal, disjoint halves of the NO_DUPLICATES batch
    one process would make of 2 x batch_size rows, cut to an even size."""
    make = lambda indices, epoch: (epoch, indices.tolist())  # noqa: E731
    single = NoDuplicatesBatches(rows, 2 * batch_size, make, seed)
    expected = [single.indices(n)[1].tolist() for n in range(single.batches_per_epoch)]
    expected = [b[: len(b) // 2 * 2] for b in expected if len(b) >= 2]
    if not expected:  # no batch of two rows: the processes have nothing to share
        with pytest.raises(BertkitError, match="no rows"):
            NoDuplicatesBatches(rows, batch_size, make, seed, 0, 2)
        return
    streams = [iter(NoDuplicatesBatches(rows, batch_size, make, seed, r, 2)) for r in (0, 1)]
    for batch in expected:
        (e0, first), (e1, second) = next(streams[0]), next(streams[1])
        assert e0 == e1 == 0 and len(first) == len(second) == len(batch) // 2
        assert sorted(first + second) == sorted(batch)
