"""Run an app under uvicorn. On SIGTERM or SIGINT uvicorn stops accepting connections, lets the
requests in flight finish (the batchers keep running until then), and the process exits 0."""

import logging
import signal

from fastapi import FastAPI

logger = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_S = 30


def run_server(app: FastAPI, host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        access_log=False,
    )
    logger.info("serving on http://%s:%d", host, port)
    # uvicorn shuts down gracefully on these signals, then restores the handlers it found and
    # raises the signal again; ignoring them here makes that a normal exit with status 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    uvicorn.Server(config).run()
