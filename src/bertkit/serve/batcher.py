"""Dynamic batching: requests wait in a queue, one batcher per (model, task) forms batches.

A batch is built when a model thread is free (the batchers share one gate, with a unit per
thread: `--workers`), around the oldest
waiting input (so none starves) from the inputs closest to it in length (so it pads little),
while its tokens stay within the budget, as TEI's `--max-batch-tokens`: padded tokens (inputs x
longest), or real ones (the sum of lengths) when the model unpads, since it then computes on
real tokens only. The inputs arrive tokenized, so the model thread does tensor work only. It
runs in a worker thread (torch releases the GIL), so the event loop keeps accepting and
tokenizing while a batch computes; inputs whose client has gone are dropped before they reach
the model. The model sees each input alone or padded among others: the
pipelines mask padding, so an input's result does not depend on its batch-mates.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from bertkit.serve.errors import ApiError
from bertkit.serve.metrics import Metrics

logger = logging.getLogger(__name__)

# Event-loop rounds without a new input after which a batch starts (see `Batcher.settle`).
SETTLE_QUIET_ROUNDS = 3
SETTLE_S = 0.005  # the longest a free model thread waits for arrivals before a batch


@dataclass
class Job:
    item: Any  # what the batcher's run function takes for one input
    num_tokens: int
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)
    queue_time: float = 0.0  # seconds waited before its batch started
    inference_time: float = 0.0  # seconds its batch took


@dataclass
class Timing:
    queue: float  # the longest wait of the request's inputs, seconds
    inference: float  # the longest batch among them, seconds


class Batcher:
    """Queue of inputs for one pipeline; `run(items) -> results` is called in `executor`."""

    def __init__(
        self,
        name: str,
        run: Callable[[list], list],
        max_batch_tokens: int,
        executor: Executor,
        metrics: Metrics,
        gate: asyncio.Semaphore | None = None,
        unpadded: bool = False,
        settle_s: float = SETTLE_S,
    ):
        self.name = name
        # One unit per model thread, held while a batch is formed and run: batches form only
        # when a thread is free (shared by the batchers of every model).
        self.gate = gate or asyncio.Semaphore(1)
        self.run = run
        self.max_batch_tokens = max_batch_tokens
        self.unpadded = unpadded  # the budget counts real tokens, not padded ones
        self.settle_s = settle_s  # longest wait for arrivals before a batch (see `settle`)
        self.executor = executor
        self.metrics = metrics
        self.pending: deque[Job] = deque()
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.running: set[asyncio.Task] = set()  # batches in the model threads

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.loop(), name=self.name)

    async def stop(self) -> None:
        """Stop forming batches; the batches already running finish."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await asyncio.gather(*self.running, return_exceptions=True)

    async def submit(
        self, request: Request | None, items: Sequence, lengths: Sequence[int]
    ) -> tuple[list, Timing]:
        """Queue one request's inputs and wait for their results, in order.

        If the client disconnects first, its inputs are cancelled and dropped from the queue.
        """
        loop = asyncio.get_running_loop()
        jobs = [Job(item, n, loop.create_future()) for item, n in zip(items, lengths, strict=True)]
        self.pending.extend(jobs)
        self.metrics.queue_depth[self.name] = len(self.pending)
        self.wakeup.set()
        results = asyncio.gather(*(job.future for job in jobs))
        results.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved: no log
        watch = asyncio.ensure_future(wait_disconnect(request)) if request else None
        try:
            if watch is not None:
                await asyncio.wait([results, watch], return_when=asyncio.FIRST_COMPLETED)
                if not results.done():
                    raise ApiError(499, "the client closed the connection", "disconnected")
            values = await results
        finally:
            if watch is not None:
                watch.cancel()
            if not results.done():
                results.cancel()  # cancels every job's future: the batcher skips them
        timing = Timing(max(j.queue_time for j in jobs), max(j.inference_time for j in jobs))
        return list(values), timing

    def take_batch(self) -> list[Job]:
        """The oldest live job and the live jobs nearest its length, within the token budget."""
        live = [job for job in self.pending if not job.future.done()]
        if not live:
            self.pending.clear()
            return []
        anchor = live[0].num_tokens
        order = sorted(range(len(live)), key=lambda i: (abs(live[i].num_tokens - anchor), i))
        chosen: list[int] = []
        longest = total = 0
        for i in order:
            n = live[i].num_tokens
            cost = total + n if self.unpadded else (len(chosen) + 1) * max(longest, n)
            if chosen and cost > self.max_batch_tokens:
                break
            chosen.append(i)
            longest, total = max(longest, n), total + n
        taken = set(chosen)
        self.pending = deque(job for i, job in enumerate(live) if i not in taken)
        return [live[i] for i in sorted(chosen)]

    async def loop(self) -> None:
        """Whenever inputs wait and a model thread is free, form a batch and start it there."""
        while True:
            await self.wakeup.wait()
            await self.gate.acquire()
            try:
                await self.settle()
                batch = self.take_batch()
            except BaseException:
                self.gate.release()
                raise
            self.metrics.queue_depth[self.name] = len(self.pending)
            if not batch:
                self.wakeup.clear()
                self.gate.release()
                continue
            task = asyncio.get_running_loop().create_task(self.run_batch(batch))
            self.running.add(task)
            task.add_done_callback(self.batch_done)

    def batch_done(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        self.gate.release()

    async def settle(self) -> None:
        """Before forming a batch, let the event loop queue the requests it has already received.

        While a batch computes, the model thread holds most of the CPU (and often the GIL), so
        requests that arrived meanwhile are still being parsed and tokenized when it finishes;
        taking the queue at once would run them one or two at a time (measured: most batches of
        size 1 at concurrency 32). So the batcher yields to the event loop until the queue stops
        growing for `SETTLE_QUIET_ROUNDS` rounds, the budget is full, or `settle_s` has passed:
        a delay of at most `settle_s` for a much larger batch. An idle server (nothing else
        arriving) starts at once, after those few quick rounds.
        """
        deadline = time.perf_counter() + self.settle_s
        quiet, size = 0, len(self.pending)
        while quiet < SETTLE_QUIET_ROUNDS and time.perf_counter() < deadline:
            if sum(job.num_tokens for job in self.pending) >= self.max_batch_tokens:
                return
            await asyncio.sleep(0)
            quiet = quiet + 1 if len(self.pending) == size else 0
            size = len(self.pending)

    async def run_batch(self, batch: list[Job]) -> None:
        start = time.perf_counter()
        for job in batch:
            job.queue_time = start - job.enqueued
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(
                self.executor, self.run, [job.item for job in batch]
            )
        except Exception as error:  # one failing batch fails only its own requests
            logger.exception("%s: a batch of %d inputs failed", self.name, len(batch))
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(ApiError(500, f"inference failed: {error}", "backend"))
            return
        elapsed = time.perf_counter() - start
        lengths = [job.num_tokens for job in batch]
        tokens = sum(lengths) if self.unpadded else len(batch) * max(lengths)
        self.metrics.observe_batch(self.name, len(batch), tokens, elapsed)
        for job, result in zip(batch, results, strict=True):
            job.inference_time = elapsed
            if not job.future.done():
                job.future.set_result(result)


async def wait_disconnect(request: Request) -> None:
    """Return when the client has gone (the body is already read, so the next message the
    server can receive is `http.disconnect`)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
