"""The task heads: `/predict`, `/rerank` (TEI shapes) and `/ner`, `/qa`, `/fill-mask` (Hugging
Face pipeline schemas: token-classification with aggregation, question-answering, fill-mask).
Each route reads its body and calls its `answer_*`, which `POST /` (routes/tei.py) also calls
with the Inference API's payloads. Every input is tokenized off the model thread."""

import math
from typing import cast

import numpy as np
from fastapi import APIRouter, Request

from bertkit.pipelines import QaPipeline
from bertkit.serve import body
from bertkit.serve.errors import invalid
from bertkit.serve.routes.embed import embed_texts, unit_rows
from bertkit.serve.state import respond, server

router = APIRouter()


def predict_inputs(value) -> tuple[list[tuple[str, str | None]], bool]:
    """TEI's `inputs`: a text, a pair [a, b], or a list of texts and pairs -> (items, single)."""

    def one(v) -> tuple[str, str | None] | None:
        if isinstance(v, str) and v.strip():
            return (v, None)
        if isinstance(v, list) and len(v) == 2 and all(isinstance(s, str) and s.strip() for s in v):
            return (v[0], v[1])
        return None

    single = one(value)
    if single is not None:
        return [single], True
    if isinstance(value, list) and value:
        items = [one(v) for v in value]
        if all(item is not None for item in items):
            return items, False  # type: ignore[return-value]
    raise invalid("'inputs' must be a text, a pair [text, text], or a non-empty list of those")


@router.post("/predict")
async def predict(request: Request):
    return await answer_predict(request, await body.read_json(request))


async def answer_predict(request: Request, data: dict, top_k: int | None = None, nested=False):
    """Every label of each input, best first (the best `top_k` when given); a single input gets
    its list alone unless `nested` (the Inference API's shape: one list per input)."""
    state = server(request)
    items, is_single = predict_inputs(data.get("inputs"))
    if len(items) > state.settings.max_inputs_per_request:
        raise invalid(f"more than {state.settings.max_inputs_per_request} inputs")
    truncate = body.flag(data, "truncate", False)
    model = state.model(data)
    pipe = model.pipeline("classify")
    encodings: list = [None] * len(items)
    lengths = [0] * len(items)
    for has_pair in (False, True):  # the tokenizer takes pairs for all texts or none
        rows = [i for i, (_, p) in enumerate(items) if (p is not None) == has_pair]
        if rows:
            pairs = [items[i][1] or "" for i in rows] if has_pair else None
            texts = [items[i][0] for i in rows]
            done, counts = await state.encode_for(model, pipe, texts, pairs, truncate)
            for i, encoding, n in zip(rows, done, counts, strict=True):
                encodings[i], lengths[i] = encoding, n
    results, timing = await state.infer(request, model, "classify", encodings, lengths)
    content = [[{"label": x.label, "score": x.score} for x in labels[:top_k]] for labels in results]
    return respond(request, content[0] if is_single and not nested else content, timing)


@router.post("/rerank")
async def rerank(request: Request):
    """A cross-encoder (a classifier with one output) scores each (query, text); an encoder
    falls back to the cosine of the embeddings."""
    data = await body.read_json(request)
    state = server(request)
    query = body.text(data, "query")
    texts, _ = body.texts(data, "texts", state.settings.max_inputs_per_request)
    raw_scores = body.flag(data, "raw_scores", False)
    return_text = body.flag(data, "return_text", False)
    truncate = body.flag(data, "truncate", False)
    model = state.model(data)
    if "classify" in model.pipelines:
        pipe = model.pipeline("classify")
        if pipe.config.num_labels != 1:
            raise invalid(
                f"model '{model.name}' has {pipe.config.num_labels} labels; reranking "
                "needs a cross-encoder with one output"
            )
        queries = [query] * len(texts)
        encodings, lengths = await state.encode_for(model, pipe, queries, texts, truncate)
        results, timing = await state.infer(request, model, "classify", encodings, lengths)
        scores = [labels[0].score for labels in results]
        if not raw_scores:
            scores = [1 / (1 + math.exp(-s)) for s in scores]
    else:
        vectors, _, timing, _ = await embed_texts(request, data, [query, *texts], truncate)
        vectors = unit_rows(vectors)
        scores = (vectors[1:] @ vectors[0]).tolist()
    order = np.argsort(-np.asarray(scores), kind="stable")
    content = [
        {"index": int(i), "score": float(scores[i])} | ({"text": texts[i]} if return_text else {})
        for i in order
    ]
    return respond(request, content, timing)


async def answer_texts(request: Request, data: dict, task: str, prepare, render):
    """What NER and fill-mask share: "inputs" (a text or a list of texts) made into the batcher's
    items off the model thread by `prepare(state, pipe, texts) -> (items, lengths)`, batched,
    and each text's result made JSON by `render(text, result)`; a single text gets its answer
    alone."""
    state = server(request)
    texts, is_single = body.texts(data, "inputs", state.settings.max_inputs_per_request)
    model = state.model(data)
    pipe = model.pipeline(task)
    items, lengths = await prepare(state, pipe, texts)
    results, timing = await state.infer(request, model, task, items, lengths)
    content = [render(text, result) for text, result in zip(texts, results, strict=True)]
    return respond(request, content[0] if is_single else content, timing)


@router.post("/ner")
async def ner(request: Request):
    return await answer_ner(request, await body.read_json(request))


async def answer_ner(request: Request, data: dict, ignore_labels: frozenset[str] = frozenset()):
    """Entities in Hugging Face's token-classification shape (aggregated into whole entities),
    leaving out the types in `ignore_labels`."""

    async def prepare(state, pipe, texts):
        windows = await state.tokenize(sum(map(len, texts)), pipe.encode_windows, texts)
        # A long text is read in windows: the budget counts all of its windows' tokens.
        lengths = [sum(len(w.input_ids) for w in text_windows) for text_windows in windows]
        return list(zip(texts, windows, strict=True)), lengths

    def render(text, entities):
        return [
            {
                "entity_group": e.type,
                "word": e.text,
                "start": e.start,
                "end": e.end,
                "score": e.score,
            }
            for e in entities
            if e.type not in ignore_labels
        ]

    return await answer_texts(request, data, "ner", prepare, render)


@router.post("/qa")
async def qa(request: Request):
    return await answer_qa(request, await body.read_json(request))


async def answer_qa(request: Request, data: dict):
    """The best answer to "question" in "context", in Hugging Face's question-answering shape."""
    state = server(request)
    question = body.text(data, "question")
    context = body.text(data, "context")
    model = state.model(data)
    pipe = cast(QaPipeline, model.pipeline("qa"))
    size = len(question) + len(context)
    examples, windows = await state.tokenize(size, pipe.encode_windows, [question], [context], True)
    length = sum(len(w.input_ids) for w in windows[0])
    items = [(examples[0], windows[0])]
    (answer,), timing = await state.infer(request, model, "qa", items, [length])
    content = {
        "answer": answer.text,
        "score": answer.score,
        "start": answer.start,
        "end": answer.end,
    }
    return respond(request, content, timing)


@router.post("/fill-mask")
async def fill_mask(request: Request):
    return await answer_fill_mask(request, await body.read_json(request))


async def answer_fill_mask(request: Request, data: dict):
    """The top_k tokens for each mask, in Hugging Face's fill-mask shape (`fill_mask_answer`)."""
    tokenizer = server(request).model(data).tokenizer
    top_k = body.integer(data, "top_k", 5, 1, min(100, tokenizer.vocab_size))

    async def prepare(state, pipe, texts):
        encodings = await state.tokenize(sum(map(len, texts)), pipe.encode_masked, texts)
        return [(e, top_k) for e in encodings], [len(e.input_ids) for e in encodings]

    def render(text, masks):
        return fill_mask_answer(text, masks, tokenizer.mask_token)

    return await answer_texts(request, data, "fill-mask", prepare, render)


def fill_mask_answer(text: str, masks: list, mask_token: str) -> list:
    """HF's shape: one mask -> a list of candidates; several masks -> one such list per mask.
    `sequence` is the text with that mask filled (a word piece joins the word before it)."""
    per_mask = []
    for m, candidates in enumerate(masks):
        rows = []
        for c in candidates:
            head, _, tail = nth_split(text, mask_token, m)
            piece = c.token
            if piece.startswith("##"):
                filled = head.rstrip() + piece[2:] + tail
            else:
                filled = head + piece + tail
            rows.append(
                {"token_str": piece, "token": c.token_id, "score": c.score, "sequence": filled}
            )
        per_mask.append(rows)
    return per_mask[0] if len(per_mask) == 1 else per_mask


def nth_split(text: str, sep: str, n: int) -> tuple[str, str, str]:
    """`text` split around the n-th occurrence of `sep`."""
    parts = text.split(sep)
    return sep.join(parts[: n + 1]), sep, sep.join(parts[n + 1 :])
