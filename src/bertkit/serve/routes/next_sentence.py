"""`POST /next-sentence`: the probability that B follows A, for pairs or for ranked candidates.

`{"inputs": [A, B]}` -> `{"score", "is_next"}`; `{"inputs": [[A, B], ...]}` -> a list of those;
`{"text": A, "candidates": [B1, B2, ...], "top_k": K}` -> `[{"index", "score", "text"}, ...]`,
most likely continuation first. Served by a model directory with the next-sentence head.
"""

import numpy as np
from fastapi import APIRouter, Request

from bertkit.serve import body
from bertkit.serve.errors import invalid
from bertkit.serve.state import respond, server

router = APIRouter()


def pair_inputs(value) -> tuple[list[tuple[str, str]], bool]:
    """A pair [A, B] or a non-empty list of pairs -> (pairs, whether one pair was sent)."""

    def is_pair(v) -> bool:
        return (
            isinstance(v, list) and len(v) == 2 and all(isinstance(s, str) and s.strip() for s in v)
        )

    if is_pair(value):
        return [(value[0], value[1])], True
    if isinstance(value, list) and value and all(is_pair(v) for v in value):
        return [(a, b) for a, b in value], False
    raise invalid("'inputs' must be a pair [text, text] or a non-empty list of pairs")


@router.post("/next-sentence")
async def next_sentence(request: Request):
    data = await body.read_json(request)
    state = server(request)
    limit = state.settings.max_inputs_per_request
    truncate = body.flag(data, "truncate", False)
    if "candidates" in data:
        first = body.text(data, "text")
        candidates, _ = body.texts(data, "candidates", limit)
        top_k = body.integer(data, "top_k", len(candidates), 1, len(candidates))
        pairs, is_single = [(first, c) for c in candidates], False
    else:
        pairs, is_single = pair_inputs(data.get("inputs"))
        if len(pairs) > limit:
            raise invalid(f"more than {limit} inputs")
        top_k = 0
    model = state.model(data)
    pipe = model.pipeline("next-sentence")
    texts, seconds = [a for a, _ in pairs], [b for _, b in pairs]
    encodings, lengths = await state.encode_for(model, pipe, texts, seconds, truncate)
    scores, timing = await state.infer(request, model, "next-sentence", encodings, lengths)
    if top_k:
        order = np.argsort(-np.asarray(scores), kind="stable")[:top_k]
        content = [{"index": int(i), "score": float(scores[i]), "text": seconds[i]} for i in order]
        return respond(request, content, timing)
    content = [{"score": float(s), "is_next": bool(s > 0.5)} for s in scores]
    return respond(request, content[0] if is_single else content, timing)
