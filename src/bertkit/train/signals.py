"""Preemption: SIGTERM or SIGINT asks the loop to stop after the step in progress and save.

Schedulers (SLURM, Kubernetes, spot instances) send SIGTERM some seconds before they kill a job.
The first signal only sets a flag, read by the loop between steps: it finishes the step, saves a
checkpoint at that step and returns. A second signal means "now": it raises `Interrupted` wherever
the program is, which unwinds a checkpoint write before its rename (files.atomic_path), so the
newest complete checkpoint is never torn.
"""

import logging
import signal
import threading

from bertkit.errors import BertkitError

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BertkitError):
    """A second stop signal: the run stopped at once, without its last save."""


class StopSignals:
    """While entered, SIGTERM and SIGINT set `received` (the first) or raise `Interrupted`."""

    def __init__(self):
        self.received: signal.Signals | None = None
        self._previous: dict = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():  # handlers only go there
            self._previous = {s: signal.signal(s, self._handle) for s in SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def _handle(self, signum: int, frame) -> None:
        name = signal.Signals(signum).name
        if self.received is not None:
            raise Interrupted(f"{name} again: stopped at once, without saving")
        self.received = signal.Signals(signum)
        log.warning("%s: stopping after this step to save a checkpoint (again: stop now)", name)
