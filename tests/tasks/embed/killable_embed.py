"""Run `bertkit ARGS...` in this process and signal it during its `at`-th training step.

    python killable_embed.py '{"signal": "SIGKILL", "at": 5, "argv": ["finetune", "embed", ...]}'

SIGKILL dies at once (resume from the last periodic checkpoint); SIGTERM is handled by the loop
(a checkpoint at that step). Without "signal", run normally.
"""

import json
import os
import signal
import sys

import bertkit.train.loop
from bertkit.cli.main import main

if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    name, at, calls = request.get("signal"), request.get("at", 0), []
    real = bertkit.train.loop.accumulate

    def accumulate(*args, **kwargs):
        calls.append(1)
        if name and len(calls) == at:
            os.kill(os.getpid(), getattr(signal, name))  # SIGTERM: handled between bytecodes
        return real(*args, **kwargs)

    bertkit.train.loop.accumulate = accumulate
    sys.exit(main(request["argv"]))
