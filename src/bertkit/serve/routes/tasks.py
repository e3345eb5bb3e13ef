"""The task heads: `/predict`, `/rerank` (TEI shapes) and `/ner`, `/qa`, `/fill-mask` (Hugging
Face pipeline schemas: token-classification with aggregation, question-answering, fill-mask)."""

import math

import numpy as np
from fastapi import APIRouter, Request

from bertkit.serve import body
from bertkit.serve.errors import invalid
from bertkit.serve.routes.embed import embed_texts, unit_rows
from bertkit.serve.state import check_lengths, respond, server

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
    data = await body.read_json(request)
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
    content = [[{"label": x.label, "score": x.score} for x in labels] for labels in results]
    return respond(request, content[0] if is_single else content, timing)


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


@router.post("/ner")
async def ner(request: Request):
    data = await body.read_json(request)
    state = server(request)
    texts, is_single = body.texts(data, "inputs", state.settings.max_inputs_per_request)
    model = state.model(data)
    pipe = model.pipeline("ner")
    encodings = await state.encode(model, texts)
    # Long texts are read in windows by the pipeline; the budget counts one window per text.
    lengths = [min(len(e.input_ids), pipe.max_length) for e in encodings]
    results, timing = await state.infer(request, model, "ner", texts, lengths)
    content = [
        [
            {
                "entity_group": e.type,
                "word": e.text,
                "start": e.start,
                "end": e.end,
                "score": e.score,
            }
            for e in entities
        ]
        for entities in results
    ]
    return respond(request, content[0] if is_single else content, timing)


@router.post("/qa")
async def qa(request: Request):
    data = await body.read_json(request)
    state = server(request)
    question = body.text(data, "question")
    context = body.text(data, "context")
    model = state.model(data)
    pipe = model.pipeline("qa")
    encodings = await state.encode(model, [question], [context])
    length = min(len(encodings[0].input_ids), pipe.max_length)
    (answer,), timing = await state.infer(request, model, "qa", [(question, context)], [length])
    content = {
        "answer": answer.text,
        "score": answer.score,
        "start": answer.start,
        "end": answer.end,
    }
    return respond(request, content, timing)


@router.post("/fill-mask")
async def fill_mask(request: Request):
    data = await body.read_json(request)
    state = server(request)
    texts, is_single = body.texts(data, "inputs", state.settings.max_inputs_per_request)
    model = state.model(data)
    pipe = model.pipeline("fill-mask")
    tokenizer = model.tokenizer
    top_k = body.integer(data, "top_k", 5, 1, min(100, tokenizer.vocab_size))
    encodings = await state.encode(model, texts)
    for i, encoding in enumerate(encodings):
        if tokenizer.mask_token_id not in encoding.input_ids:
            raise invalid(f"input {i} has no {tokenizer.mask_token}: write it where a word goes")
    lengths = check_lengths(encodings, pipe.max_length, truncate=False)
    items = [(text, top_k) for text in texts]
    results, timing = await state.infer(request, model, "fill-mask", items, lengths)
    content = [
        fill_mask_answer(text, masks, tokenizer.mask_token)
        for text, masks in zip(texts, results, strict=True)
    ]
    return respond(request, content[0] if is_single else content, timing)


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
