"""Embeddings: TEI's `POST /embed` and OpenAI's `POST /v1/embeddings`."""

import base64

import numpy as np
from fastapi import APIRouter, Request

from bertkit.serve import body
from bertkit.serve.state import respond, server

router = APIRouter()


async def embed_texts(request: Request, data: dict, texts: list[str], truncate: bool):
    """(N, C) float32 vectors as the pipeline pools them, the token count, and the timing."""
    state = server(request)
    model = state.model(data)
    pipe = model.pipeline("embed")
    encodings, lengths = await state.encode_for(model, pipe, texts, None, truncate)
    vectors, timing = await state.infer(request, model, "embed", encodings, lengths)
    return np.stack(vectors).astype(np.float32), sum(lengths), timing, model


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


@router.post("/embed")
async def embed(request: Request):
    return await answer_embed(request, await body.read_json(request))


async def answer_embed(request: Request, data: dict):
    """TEI's embeddings: one vector per text of "inputs" (a text or a list), unit length unless
    "normalize" is false."""
    settings = server(request).settings
    texts, _ = body.texts(data, "inputs", settings.max_inputs_per_request)
    normalize = body.flag(data, "normalize", True)
    truncate = body.flag(data, "truncate", False)
    vectors, _, timing, _ = await embed_texts(request, data, texts, truncate)
    if normalize:
        vectors = unit_rows(vectors)
    return respond(request, vectors.tolist(), timing)


@router.post("/v1/embeddings")
async def openai_embeddings(request: Request):
    data = await body.read_json(request)
    settings = server(request).settings
    texts, _ = body.texts(data, "input", settings.max_inputs_per_request)
    encoding_format = body.choice(data, "encoding_format", "float", ("float", "base64"))
    vectors, num_tokens, timing, model = await embed_texts(request, data, texts, False)
    vectors = unit_rows(vectors)  # OpenAI's embeddings have length 1
    if encoding_format == "base64":  # little-endian float32, as the OpenAI clients decode it
        encoded = [base64.b64encode(v.astype("<f4").tobytes()).decode() for v in vectors]
    else:
        encoded = vectors.tolist()
    content = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(encoded)
        ],
        "model": data.get("model") if isinstance(data.get("model"), str) else model.name,
        "usage": {"prompt_tokens": num_tokens, "total_tokens": num_tokens},
    }
    return respond(request, content, timing)
