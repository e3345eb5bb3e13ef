"""What every route shares: the models, the limits, the metrics, the model thread, and the two
steps each inference route takes (tokenize off the model thread; wait for the batcher)."""

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse

from bertkit.errors import BertkitError
from bertkit.pipelines import Pipeline
from bertkit.serve.batcher import Timing
from bertkit.serve.errors import ApiError, invalid
from bertkit.serve.metrics import Metrics
from bertkit.serve.models import ServedModel, model_executor, split_torch_threads
from bertkit.serve.settings import ServeSettings
from bertkit.tokenizer import Encoding

# A request with at most this many characters is tokenized on the event loop (tens of
# microseconds), where a hop to a worker thread would cost more; longer ones go to a thread.
INLINE_TOKENIZE_CHARS = 4096
T = TypeVar("T")


class ServerState:
    def __init__(self, models: dict[str, ServedModel], settings: ServeSettings):
        if not models:
            raise ValueError("a server needs at least one model")
        self.models = models
        self.settings = settings
        self.metrics = Metrics()
        # One model thread per worker, each with its own copy of the models; on CPU, torch's
        # threads are shared among them (`split_torch_threads`), so with one worker a batch
        # uses every core.
        split_torch_threads(settings.workers)
        self.executor = model_executor(settings.workers)
        # A unit per model thread, held by a batch from forming to its end.
        self.gate = asyncio.Semaphore(settings.workers)

    async def start(self) -> None:
        for model in self.models.values():
            model.start(self.executor, self.metrics, self.settings.max_batch_tokens, self.gate)

    async def stop(self) -> None:
        for model in self.models.values():
            await model.stop()
        self.executor.shutdown(wait=True)

    def model(self, data: dict) -> ServedModel:
        """The model a request names in "model"; the first one when it names none (or, with a
        single model, any name: OpenAI clients always send one)."""
        name = data.get("model")
        if name is None or (len(self.models) == 1 and isinstance(name, str)):
            return next(iter(self.models.values()))
        if not isinstance(name, str) or name not in self.models:
            raise invalid(f"unknown model {name!r}; this server holds {', '.join(self.models)}")
        return self.models[name]

    async def tokenize(self, size: int, work: Callable[..., T], *args) -> T:
        """`work(*args)`, a tokenizing step of `size` characters, never on the model thread: a
        small one on the event loop, a large one in a worker thread. A pipeline's refusal of
        an input (a BertkitError) is a 422 naming it."""
        try:
            if size <= INLINE_TOKENIZE_CHARS:
                return work(*args)
            return await asyncio.to_thread(work, *args)
        except BertkitError as error:
            raise invalid(str(error)) from None

    async def encode(
        self, model: ServedModel, texts: Sequence[str], pairs: Sequence[str] | None = None
    ) -> list[Encoding]:
        """Tokenize without truncation (see `tokenize`)."""
        texts = list(texts)
        size = sum(map(len, texts)) + (sum(map(len, pairs)) if pairs is not None else 0)
        return await self.tokenize(size, model.tokenizer.encode_batch, texts, pairs)

    async def encode_for(
        self,
        model: ServedModel,
        pipe: Pipeline,
        texts: Sequence[str],
        pairs: Sequence[str] | None,
        truncate: bool,
    ) -> tuple[list[Encoding], list[int]]:
        """The encodings `pipe` would make of the inputs (cut to its `max_length`), and their
        lengths; 422 for a too-long input unless truncating. What the batcher hands the
        pipeline's model step, so nothing is tokenized twice or on the model thread."""
        encodings = await self.encode(model, texts, pairs)
        lengths = check_lengths(encodings, pipe.max_length, truncate)
        long = [i for i, e in enumerate(encodings) if len(e.input_ids) > pipe.max_length]
        if long:  # cut as the pipeline cuts (longest first for pairs), off the model thread
            cut = await asyncio.to_thread(
                pipe.encode_truncated,
                [texts[i] for i in long],
                [pairs[i] for i in long] if pairs is not None else None,
            )
            for i, encoding in zip(long, cut, strict=True):
                encodings[i] = encoding
        return encodings, lengths

    async def infer(
        self,
        request: Request,
        model: ServedModel,
        task: str,
        items: Sequence,
        lengths: Sequence[int],
    ) -> tuple[list, Timing]:
        """Queue the inputs on the model's batcher; 429 at once when the server is full."""
        batcher = model.batcher(task)
        if self.metrics.in_flight >= self.settings.max_concurrent_requests:
            raise ApiError(
                429,
                f"the server is at its limit of {self.settings.max_concurrent_requests} "
                "concurrent requests; retry later",
                "overloaded",
            )
        self.metrics.in_flight += 1
        try:
            return await batcher.submit(request, items, lengths)
        finally:
            self.metrics.in_flight -= 1


def check_lengths(encodings: Sequence[Encoding], max_length: int, truncate: bool) -> list[int]:
    """Tokens per input as the model will see them; 422 for a too-long input unless truncating."""
    lengths = []
    for i, encoding in enumerate(encodings):
        n = len(encoding.input_ids)
        if n > max_length and not truncate:
            raise invalid(
                f"input {i} has {n} tokens, more than the maximum of {max_length}; "
                'shorten it or send "truncate": true'
            )
        lengths.append(min(n, max_length))
    return lengths


def respond(request: Request, content, timing: Timing | None = None) -> JSONResponse:
    """JSON with TEI's timing headers, in milliseconds."""
    total = time.perf_counter() - request.scope["bertkit.started"]
    headers = {"x-total-time": f"{total * 1000:.2f}"}
    if timing is not None:
        headers["x-queue-time"] = f"{timing.queue * 1000:.2f}"
        headers["x-inference-time"] = f"{timing.inference * 1000:.2f}"
    return JSONResponse(content, headers=headers)


def server(request: Request) -> ServerState:
    return request.app.state.server
