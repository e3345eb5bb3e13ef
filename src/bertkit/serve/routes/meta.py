"""`/tokenize` (TEI's shape), `/health` (a real forward pass), `/info` and `/metrics`."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

import bertkit
from bertkit.serve import body
from bertkit.serve.models import batcher_item
from bertkit.serve.state import respond, server

router = APIRouter()

HEALTH_TIMEOUT_S = 30.0
# One small input per task, for the health check's forward pass.
HEALTH_INPUTS = {
    "embed": "health check",
    "classify": ("health check", None),
    "ner": "health check",
    "qa": ("what is checked?", "the health is checked"),
    "fill-mask": ("health [MASK]", 1),
}


@router.post("/tokenize")
async def tokenize(request: Request):
    data = await body.read_json(request)
    state = server(request)
    texts, _ = body.texts(data, "inputs", state.settings.max_inputs_per_request)
    add_special = body.flag(data, "add_special_tokens", True)
    model = state.model(data)
    encodings = await asyncio.to_thread(
        model.tokenizer.encode_batch, texts, add_special_tokens=add_special
    )
    content = [
        [
            {"id": i, "text": token, "special": bool(special), "start": start, "stop": stop}
            for i, token, special, (start, stop) in zip(
                e.input_ids, e.tokens, e.special_tokens_mask, e.offsets, strict=True
            )
        ]
        for e in encodings
    ]
    return respond(request, content)


@router.get("/health")
async def health(request: Request):
    """200 when every model answers a forward pass, else 503 naming the first that does not."""
    state = server(request)
    for model in state.models.values():
        task = next(iter(model.pipelines))
        item = HEALTH_INPUTS[task]
        try:
            item = batcher_item(task, model.pipelines[task], item)
            await asyncio.wait_for(model.batcher(task).submit(None, [item], [8]), HEALTH_TIMEOUT_S)
        except Exception as error:
            content = {"error": f"model '{model.name}': {error}", "error_type": "unhealthy"}
            return JSONResponse(content, status_code=503)
    return respond(request, {"status": "ok"})


@router.get("/info")
async def info(request: Request):
    state = server(request)
    settings = state.settings
    models = []
    for model in state.models.values():
        config = next(iter(model.pipelines.values())).config
        entry = {
            "name": model.name,
            "path": str(model.path),
            "architecture": model.info.get("architecture"),
            "tasks": list(model.pipelines),
            "max_input_length": {t: p.max_length for t, p in model.pipelines.items()},
            "hidden_size": config.hidden_size,
            "layers": config.num_hidden_layers,
            "precision": model.info.get("precision"),
        }
        if "classify" in model.pipelines or "ner" in model.pipelines:
            entry["labels"] = [config.id2label[i] for i in sorted(config.id2label)]
        models.append(entry)
    content = {
        "version": bertkit.__version__,
        "models": models,
        "max_batch_tokens": settings.max_batch_tokens,
        "workers": settings.workers,
        "max_concurrent_requests": settings.max_concurrent_requests,
        "max_body_bytes": settings.max_body_bytes,
        "max_inputs_per_request": settings.max_inputs_per_request,
    }
    return respond(request, content)


@router.get("/metrics")
async def metrics(request: Request):
    return PlainTextResponse(
        server(request).metrics.render(), media_type="text/plain; version=0.0.4"
    )
