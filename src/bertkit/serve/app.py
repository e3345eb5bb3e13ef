"""The ASGI application: the routes of `routes/`, JSON errors, and a guard in front of them.

The guard refuses a body over the limit from its Content-Length before reading it (413), and
records each request's status and latency for /metrics.
"""

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from bertkit.serve.errors import ApiError, error_response
from bertkit.serve.models import ServedModel
from bertkit.serve.routes import ROUTERS
from bertkit.serve.settings import ServeSettings
from bertkit.serve.state import ServerState

logger = logging.getLogger(__name__)


class Guard:
    """ASGI middleware: the body-size limit from Content-Length, and per-request metrics."""

    def __init__(self, app, state: ServerState):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        scope["bertkit.started"] = started
        status = 500
        limit = self.state.settings.max_body_bytes
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            message = f"request body of {int(length)} bytes is over the limit of {limit}"
            response = error_response(413, message, "payload")
            await response(scope, receive, send)
            self.observe(scope, 413, started)
            return

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.observe(scope, status, started)

    def observe(self, scope, status: int, started: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path", "other")
        self.state.metrics.observe_request(path, status, time.perf_counter() - started)


def build_app(models: dict[str, ServedModel], settings: ServeSettings) -> FastAPI:
    """A FastAPI app serving `models` (loaded with `load_models`) within `settings`' limits."""
    state = ServerState(models, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await state.start()
        yield
        await state.stop()

    app = FastAPI(
        title="bertkit", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.server = state
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        return error_response(error.status, error.message, error.error_type)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        kinds = {404: "not_found", 405: "method_not_allowed"}
        return error_response(
            error.status_code, str(error.detail), kinds.get(error.status_code, "http")
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        problems = [
            f"{'.'.join(str(part) for part in e['loc'][1:]) or 'body'}: {e['msg']}"
            for e in error.errors()
        ]
        return error_response(422, "; ".join(problems), "validation")

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception):
        logger.exception("unexpected error on %s", request.url.path)
        return error_response(500, f"internal error: {error}", "backend")

    app.add_middleware(Guard, state=state)
    return app
