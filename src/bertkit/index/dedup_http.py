"""`POST /dedup` on an ASGI app (FastAPI): the near-duplicates among the texts of a request.

    {"inputs": [TEXT, ...], "threshold": 0.9}   -> {"pairs": [...], "clusters": [[0, 3], ...]}
    {"inputs": [TEXT, ...], "top_k": 3}         -> {"pairs": [...], "clusters": []}

Each pair is {"score", "first", "second"}, 0-based positions in "inputs", best first; clusters
are the connected components of the pairs (a threshold only), as `bertkit dedup` finds them
(`bertkit.index.dedup`). "model" names the embedder (the first when absent). `bertkit serve`
mounts it beside the model routes with the served models' embed pipelines; errors are JSON
{"error", "error_type"}. Requests run one at a time in a worker thread.
"""

import threading
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from bertkit.errors import BertkitError
from bertkit.index.dedup import check_query, connected_clusters, similar_pairs

MAX_INPUTS = 10_000  # texts per request
DEFAULT_THRESHOLD = 0.9


def parse_request(data, names: list[str]) -> tuple[list[str], float | None, int | None, str]:
    """(texts, threshold, top_k, model name) from a request body, or a BertkitError."""
    if not isinstance(data, dict):
        raise BertkitError('expected a JSON object with "inputs"')
    texts = data.get("inputs")
    if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
        raise BertkitError("'inputs' must be a list of non-empty strings")
    if not 2 <= len(texts) <= MAX_INPUTS:
        raise BertkitError(f"'inputs' must hold 2 to {MAX_INPUTS} texts, not {len(texts)}")
    threshold, top_k = data.get("threshold"), data.get("top_k")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float)
    ):
        raise BertkitError("'threshold' must be a number")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)):
        raise BertkitError("'top_k' must be an integer")
    if threshold is None and top_k is None:
        threshold = DEFAULT_THRESHOLD
    check_query(threshold, top_k)
    name = data.get("model", names[0])
    if name not in names:
        raise BertkitError(f"unknown model {name!r}; dedup embeds with {', '.join(names)}")
    return texts, threshold, top_k, name


def add_dedup_route(app, embedders: Mapping[str, Any], path: str = "/dedup") -> None:
    """Mount `POST path` on the FastAPI `app`, embedding with `embedders[name]`."""
    from fastapi import Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    if not embedders:
        return  # no model that embeds: nothing to mount
    lock = threading.Lock()  # one request at a time beside the model threads

    def run(texts: list[str], threshold: float | None, top_k: int | None, name: str) -> dict:
        with lock:
            pairs = similar_pairs(embedders[name](texts), threshold, top_k)
        clusters = connected_clusters(pairs, len(texts)) if threshold is not None else []
        return {"pairs": [asdict(p) for p in pairs], "clusters": clusters}

    @app.post(path)
    async def dedup(request: Request):
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON", "error_type": "validation"}, 422)
        try:
            return await run_in_threadpool(run, *parse_request(data, list(embedders)))
        except BertkitError as error:
            return JSONResponse({"error": str(error), "error_type": "validation"}, 422)
