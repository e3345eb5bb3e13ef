"""The models a server holds: each directory's pipelines, chosen by what the directory contains.

An encoder serves embeddings (and fill-mask when it has a masked-LM head,
next-sentence when it has the next-sentence head); a sequence classifier
serves predict and rerank; a token classifier NER; a QA model QA. Each (model, task) pipeline has
its own batcher; its `run_*` function below is what the batcher calls in the model thread. Every
task gets its inputs tokenized already (the routes tokenize off the model thread: embed and
classify as `encode_truncated` would, NER and QA into the pipeline's windows, fill-mask checked
for its masks), so that thread only pads, runs the model and decodes.
"""

import asyncio
import importlib.util
import itertools
import logging
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bertkit.errors import BertkitError
from bertkit.pipelines import Pipeline, pipeline
from bertkit.pipelines.token_vectors import run_token_vectors
from bertkit.serve.batcher import Batcher
from bertkit.serve.errors import invalid
from bertkit.serve.metrics import Metrics
from bertkit.serve.settings import ServeSettings
from bertkit.tokenizer import Encoding

logger = logging.getLogger(__name__)

# Architecture -> the one task its head serves; any other architecture is an encoder.
HEAD_TASKS = {
    "BertForSequenceClassification": "classify",
    "BertForTokenClassification": "ner",
    "BertForQuestionAnswering": "qa",
}
# Which task a route needs, for the error that names what the model can do instead.
ROUTE_TASKS = {
    "embed": "embed",
    "predict": "classify",
    "ner": "ner",
    "qa": "qa",
    "fill-mask": "fill-mask",
    "next-sentence": "next-sentence",
}


def served_tasks(path: Path) -> tuple[list[str], bool]:
    """The tasks to load for a directory, and whether its layout told them; a directory that
    `describe_model_dir` cannot read (an exported ONNX one) tries every task's pipeline."""
    try:
        # Imported here: reading weights needs torch, which an ONNX-only install lacks.
        from bertkit.interop.inspect import describe_model_dir

        info = describe_model_dir(path)
    except (BertkitError, OSError, ImportError):
        return list(RUNNERS), False
    tasks = tasks_for(info)
    if not tasks:
        raise BertkitError(f"{path}: a {info['architecture']} cannot be served")
    return tasks, True


def tasks_for(info: dict) -> list[str]:
    """The tasks a model directory can serve, from its architecture and heads."""
    if info["architecture"] in HEAD_TASKS:
        return [HEAD_TASKS[info["architecture"]]]
    if info["architecture"] == "BertForMultipleChoice":
        return []
    tasks = ["embed", "fill-mask"] if "masked-lm" in info["heads"] else ["embed"]
    return tasks + (["next-sentence"] if "next-sentence" in info["heads"] else [])


def extra_options(task: str) -> dict:
    """Pipeline options a task needs when served: embeddings are normalised per request."""
    return {"normalize": False} if task == "embed" else {}


_worker = threading.local()


def worker_index() -> int:
    """Which model thread this is, 0 .. workers - 1 (0 outside them)."""
    return getattr(_worker, "index", 0)


def model_executor(workers: int) -> ThreadPoolExecutor:
    """`workers` model threads, numbered in the order they start (each keeps its number)."""
    numbers = itertools.count()

    def number_thread() -> None:
        _worker.index = next(numbers)

    return ThreadPoolExecutor(workers, thread_name_prefix="model", initializer=number_thread)


def split_torch_threads(workers: int) -> None:
    """With several model threads, each batch gets an equal share of torch's intra-op threads
    (at least one), so that batches running side by side do not oversubscribe the cores."""
    if workers == 1 or importlib.util.find_spec("torch") is None:
        return  # one worker keeps every thread; an ONNX-only install has no torch
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads() // workers))


@dataclass
class TokenVectorsItem:
    """An input of `/embed_all`: the text and its (truncated) encoding, for its token vectors."""

    text: str
    encoding: Encoding


def run_embed(pipe, items: list) -> list:
    """One vector per input, from its (truncated) encoding; a `TokenVectorsItem` gets its
    per-token vectors instead (the same encoder: /embed and /embed_all share a batcher)."""
    results: list = [None] * len(items)
    is_tokens = [isinstance(item, TokenVectorsItem) for item in items]
    tokens = [i for i, flag in enumerate(is_tokens) if flag]
    plain = [i for i, flag in enumerate(is_tokens) if not flag]
    if plain:
        vectors = pipe.embed_encodings([items[i] for i in plain])
        for i, vector in zip(plain, vectors, strict=True):
            results[i] = vector
    if tokens:
        texts = [items[i].text for i in tokens]
        encodings = [items[i].encoding for i in tokens]
        for i, result in zip(tokens, run_token_vectors(pipe, texts, encodings), strict=True):
            results[i] = result
    return results


def run_classify(pipe, encodings: list[Encoding]) -> list:
    """Every label of each text (or pair), best first; texts with and without pairs may mix in
    one batch (each row is masked on its own)."""
    return pipe.classify_encodings(encodings, pipe.config.num_labels)


def run_ner(pipe, items: list[tuple[str, list[Encoding]]]) -> list:
    """The entities of each (text, its windows)."""
    return pipe.entities_from_windows([t for t, _ in items], [w for _, w in items])


def run_qa(pipe, items: list[tuple]) -> list:
    """The answer of each (example, its windows)."""
    return pipe.answers_from_windows([e for e, _ in items], [w for _, w in items])


def run_fill_mask(pipe, items: list[tuple[Encoding, int]]) -> list:
    """Each (encoding, top_k)'s predictions per mask; one batch decodes the largest k."""
    k = max(top_k for _, top_k in items)
    predictions = pipe.predict_encodings([encoding for encoding, _ in items], k)
    return [
        [per_mask[:top_k] for per_mask in masks]
        for masks, (_, top_k) in zip(predictions, items, strict=True)
    ]


def run_next_sentence(pipe, encodings: list[Encoding]) -> list:
    """P(B follows A) of each (truncated) pair encoding."""
    return pipe.score_encodings(encodings)


def counts_real_tokens(pipe: Pipeline) -> bool:
    """Whether the model computes on real tokens only (a bertkit model built with `unpad`, the
    default), so that a batch costs the sum of its lengths rather than inputs x longest."""
    if pipe.runtime.name != "torch":
        return False  # an exported graph runs the padded batch
    model = pipe.model
    encoder = getattr(model, "bert", model)  # the heads hold their BertModel as `bert`
    return bool(getattr(encoder, "unpad", False))


# Tasks whose batcher takes one (truncated) encoding per input (`ServerState.encode_for`); NER
# and QA take their windows, fill-mask (encoding, top_k).
ENCODED_TASKS = ("embed", "classify", "next-sentence")


def batcher_item(task: str, pipe, raw):
    """One raw input as `task`'s batcher takes it, tokenized as the routes tokenize it (for the
    probe of /health): a text (embed, ner), (text, pair or None) (classify, next-sentence),
    (question, context) (qa), (text with a mask, top_k) (fill-mask)."""
    if task in ENCODED_TASKS:
        text, pair = raw if isinstance(raw, tuple) else (raw, None)
        return pipe.encode_truncated([text], None if pair is None else [pair])[0]
    if task == "ner":
        return (raw, pipe.encode_windows([raw])[0])
    if task == "qa":
        examples, windows = pipe.encode_windows([raw[0]], [raw[1]])
        return (examples[0], windows[0])
    if task == "fill-mask":
        return (pipe.encode_masked([raw[0]])[0], raw[1])
    return raw


RUNNERS = {
    "embed": run_embed,
    "classify": run_classify,
    "ner": run_ner,
    "qa": run_qa,
    "fill-mask": run_fill_mask,
    "next-sentence": run_next_sentence,
}


class ServedModel:
    """One model directory loaded for serving: its pipelines, tokenizer and batchers."""

    def __init__(self, name: str, path: Path, settings: ServeSettings):
        self.name = name
        self.path = Path(path)
        options = dict(
            device=settings.device,
            dtype=settings.dtype,
            max_length=settings.max_input_length,
            batch_size=settings.max_batch_tokens,  # the batcher already sized the batch
            progress=False,
        )
        self.pipelines: dict[str, Pipeline] = {}
        tasks, is_known = served_tasks(self.path)
        errors = []
        for task in tasks:
            try:
                self.pipelines[task] = pipeline(task, self.path, **options, **extra_options(task))
            except BertkitError as error:
                if is_known and task != "fill-mask":  # fill-mask only if the head is there
                    raise
                errors.append(error)
        if not self.pipelines:
            raise errors[0] if errors else BertkitError(f"{path}: nothing to serve")
        # One copy of each pipeline per model thread (`--workers`): replica k runs in thread k.
        self.replicas = [self.pipelines] + [
            {
                task: pipeline(task, self.path, **options, **extra_options(task))
                for task in self.pipelines
            }
            for _ in range(settings.workers - 1)
        ]
        first = next(iter(self.pipelines.values()))
        self.info = first.info
        self.tokenizer = first.tokenizer
        self.batchers: dict[str, Batcher] = {}
        architecture = self.info.get("architecture")
        logger.info("%s: %s serving %s", name, architecture, ", ".join(self.pipelines))

    def start(
        self,
        executor: Executor,
        metrics: Metrics,
        max_batch_tokens: int,
        gate: asyncio.Semaphore,
    ) -> None:
        for task, pipe in self.pipelines.items():
            run = RUNNERS[task]
            batcher = Batcher(
                f"{self.name}/{task}",
                lambda items, task=task, run=run: run(self.replica(task), items),
                max_batch_tokens,
                executor,
                metrics,
                gate,
                unpadded=counts_real_tokens(pipe),
            )
            batcher.start()
            self.batchers[task] = batcher

    def replica(self, task: str) -> Pipeline:
        """The copy of `task`'s pipeline that belongs to the calling model thread."""
        return self.replicas[worker_index() % len(self.replicas)][task]

    async def stop(self) -> None:
        for batcher in self.batchers.values():
            await batcher.stop()

    def pipeline(self, task: str) -> Pipeline:
        """The pipeline for `task`, or 422 naming what this model serves instead."""
        if task not in self.pipelines:
            served = ", ".join(self.pipelines)
            raise invalid(
                f"model '{self.name}' ({self.info.get('architecture')}) cannot serve {task}; "
                f"it serves: {served}"
            )
        return self.pipelines[task]

    def batcher(self, task: str) -> Batcher:
        self.pipeline(task)
        return self.batchers[task]


def parse_model_specs(specs: list[str]) -> dict[str, Path]:
    """`DIR` or `NAME=DIR` -> {name: dir}; a bare DIR is named after its folder."""
    named: dict[str, Path] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = Path(spec).name or "model", spec
        if not name or not path:
            raise BertkitError(f"--model {spec!r}: write DIR or NAME=DIR")
        if name in named:
            raise BertkitError(f"--model: the name {name!r} is given twice")
        named[name] = Path(path)
    return named


def load_models(specs: list[str], settings: ServeSettings) -> dict[str, ServedModel]:
    """Load every `--model` spec; the first one is the default for requests that name none."""
    return {
        name: ServedModel(name, path, settings) for name, path in parse_model_specs(specs).items()
    }
