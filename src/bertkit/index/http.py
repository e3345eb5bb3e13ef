"""`POST /search` on an ASGI app (FastAPI): the hits of an index for JSON queries.

    {"query": "how do I open a file?", "k": 10, "mode": "hybrid"}   -> {"hits": [...]}
    {"queries": ["first", "second"], "k": 5}                         -> {"results": [[...], [...]]}

Each hit is {"id", "score", "text", "metadata"}, as `bertkit search --index` prints. `bertkit serve
--index INDEX_DIR` mounts it beside the model routes; errors are JSON {"error", "error_type"}.
Searches run one at a time in a worker thread, so the event loop keeps answering other routes.
"""

import threading
from dataclasses import asdict

from bertkit.errors import BertkitError
from bertkit.index.searcher import MODES, IndexSearcher

MAX_QUERIES = 64  # queries per request
MAX_K = 1000


def add_search_route(app, searcher: IndexSearcher, path: str = "/search") -> None:
    """Mount `POST path` on the FastAPI `app`, answering from `searcher`."""
    from fastapi import Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    lock = threading.Lock()  # one search at a time: the query embedder is not re-entrant

    def run(queries: list[str], k: int, mode: str):
        with lock:
            return searcher.search_many(queries, k=k, mode=mode)

    @app.post(path)
    async def search(request: Request):
        try:
            data = await request.json()
        except ValueError:
            return _error(JSONResponse, 400, "the body is not JSON", "validation")
        try:
            queries, is_single, k, mode = parse_request(data)
            results = await run_in_threadpool(run, queries, k, mode)
        except BertkitError as error:
            return _error(JSONResponse, 422, str(error), "validation")
        rows = [[asdict(hit) for hit in hits] for hits in results]
        return {"hits": rows[0]} if is_single else {"results": rows}


def parse_request(data) -> tuple[list[str], bool, int, str]:
    """(queries, whether one query was sent, k, mode) from a request body, or a BertkitError."""
    if not isinstance(data, dict):
        raise BertkitError('expected a JSON object with "query" or "queries"')
    if ("query" in data) == ("queries" in data):
        raise BertkitError('give exactly one of "query" (a string) or "queries" (a list)')
    if "query" in data:
        queries, is_single = [data["query"]], True
    else:
        queries, is_single = data["queries"], False
        if not isinstance(queries, list) or not 0 < len(queries) <= MAX_QUERIES:
            raise BertkitError(f'"queries" must be a list of 1 to {MAX_QUERIES} strings')
    if not all(isinstance(q, str) and q.strip() for q in queries):
        raise BertkitError("every query must be a non-empty string")
    k = data.get("k", 10)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 < k <= MAX_K:
        raise BertkitError(f'"k" must be an integer in 1..{MAX_K}')
    mode = data.get("mode", "dense")
    if mode not in MODES:
        raise BertkitError(f'"mode" must be one of {", ".join(MODES)}')
    return queries, is_single, k, mode


def _error(response_class, status: int, message: str, kind: str):
    return response_class({"error": message, "error_type": kind}, status_code=status)
