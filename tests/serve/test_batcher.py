"""The batcher alone (no HTTP): token budget, oldest first, a failing batch fails only its own
inputs, and inputs whose client has gone never reach the model."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bertkit.serve.batcher import Batcher, Job
from bertkit.serve.errors import ApiError
from bertkit.serve.metrics import Metrics


def make_batcher(run, budget: int, unpadded: bool = False) -> Batcher:
    return Batcher("test", run, budget, ThreadPoolExecutor(1), Metrics(), unpadded=unpadded)


def test_batches_stay_within_the_token_budget_around_the_oldest_input():
    async def scenario():
        batcher = make_batcher(lambda items: items, budget=40)
        loop = asyncio.get_running_loop()
        for n in (10, 30, 9, 11, 10):
            batcher.pending.append(Job(n, n, loop.create_future()))
        first = [job.num_tokens for job in batcher.take_batch()]
        second = [job.num_tokens for job in batcher.take_batch()]
        return first, second, [job.num_tokens for job in batcher.pending]

    first, second, left = asyncio.run(scenario())
    # Around the oldest (10): 10, 10, 9 fit (3 x 10 = 30 <= 40); 11 would make 4 x 11 = 44.
    assert first == [10, 9, 10]
    assert second == [30] and left == [11]


def test_an_unpadding_model_budgets_real_tokens():
    async def scenario():
        batcher = make_batcher(lambda items: items, budget=40, unpadded=True)
        loop = asyncio.get_running_loop()
        for n in (10, 30, 9, 11, 10):
            batcher.pending.append(Job(n, n, loop.create_future()))
        first = [job.num_tokens for job in batcher.take_batch()]
        second = [job.num_tokens for job in batcher.take_batch()]
        return first, second, [job.num_tokens for job in batcher.pending]

    first, second, left = asyncio.run(scenario())
    # Around the oldest (10): 10 + 10 + 9 + 11 = 40 real tokens fit, where padded they cost 44.
    assert first == [10, 9, 11, 10]
    assert second == [30] and left == []


def test_a_failing_batch_fails_only_its_own_requests():
    calls = []

    def run(items):
        calls.append(list(items))
        if "bad" in items:
            raise RuntimeError("boom")
        return [item.upper() for item in items]

    async def scenario():
        batcher = make_batcher(run, budget=10)  # 10 tokens: one input per batch
        batcher.start()
        good = batcher.submit(None, ["good"], [8])
        bad = batcher.submit(None, ["bad"], [8])
        results = await asyncio.gather(good, bad, return_exceptions=True)
        await batcher.stop()
        return results

    (values, _), error = asyncio.run(scenario())
    assert values == ["GOOD"]
    assert isinstance(error, ApiError) and error.status == 500 and "boom" in error.message
    assert calls == [["good"], ["bad"]]


def test_inputs_of_a_client_that_left_never_reach_the_model():
    seen = []

    def run(items):
        seen.extend(items)
        return items

    async def scenario():
        batcher = make_batcher(run, budget=100)
        waiting = asyncio.ensure_future(batcher.submit(None, ["gone-1", "gone-2"], [5, 5]))
        await asyncio.sleep(0)  # queued, the batcher not started yet
        waiting.cancel()  # what a disconnect does to the request's wait
        with pytest.raises(asyncio.CancelledError):
            await waiting
        batcher.start()
        values, _ = await batcher.submit(None, ["stays"], [5])
        await batcher.stop()
        return values

    assert asyncio.run(scenario()) == ["stays"]
    assert seen == ["stays"]


def test_inputs_arriving_while_the_batch_forms_join_it():
    batches = []

    def run(items):
        batches.append(list(items))
        return items

    async def later(batcher, item, rounds):
        for _ in range(rounds):
            await asyncio.sleep(0)
        return await batcher.submit(None, [item], [5])

    async def scenario():
        batcher = Batcher("test", run, 100, ThreadPoolExecutor(1), Metrics(), settle_s=60)
        batcher.start()
        results = await asyncio.gather(
            batcher.submit(None, ["first"], [5]),
            later(batcher, "second", 1),
            later(batcher, "third", 2),
        )
        await batcher.stop()
        return [values for values, _ in results]

    assert asyncio.run(scenario()) == [["first"], ["second"], ["third"]]
    assert batches == [["first", "second", "third"]]  # one batch, not three
