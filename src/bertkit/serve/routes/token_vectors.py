"""`POST /embed_all`: every token's vector (text-embeddings-inference's route and reply shape).

`{"inputs": TEXT or [TEXT, ...], "truncate": false}` -> one list per input of one vector per token
of the model input ([CLS] and [SEP] included), the last layer's hidden states, not normalised.
Served by any encoder; `bertkit embed --tokens` gives the same vectors with the tokens' spans.
"""

from fastapi import APIRouter, Request

from bertkit.serve import body
from bertkit.serve.models import TokenVectorsItem
from bertkit.serve.state import respond, server

router = APIRouter()


@router.post("/embed_all")
async def embed_all(request: Request):
    data = await body.read_json(request)
    state = server(request)
    texts, _ = body.texts(data, "inputs", state.settings.max_inputs_per_request)
    truncate = body.flag(data, "truncate", False)
    model = state.model(data)
    pipe = model.pipeline("embed")
    encodings, lengths = await state.encode_for(model, pipe, texts, None, truncate)
    items = [TokenVectorsItem(t, e) for t, e in zip(texts, encodings, strict=True)]
    results, timing = await state.infer(request, model, "embed", items, lengths)
    return respond(request, [r.vectors.tolist() for r in results], timing)
