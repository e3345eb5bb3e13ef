"""Run `bertkit ARGS...` in this process with one fault injected (used by test_faults.py).

    python faulty_run.py '{"fault": "sigterm", "at": 3, "argv": ["pretrain", ...]}'

Faults, each at the `at`-th call of what it names:
- "sigterm" / "sigint": the process signals itself during a training step (a scheduler's notice).
- "sigterm_twice": SIGTERM during a step, then again in the middle of the checkpoint write that
  the first one asked for (the write has put half its bytes in the temporary file).
- "enospc_checkpoint" / "eio_checkpoint": the checkpoint write fails (ENOSPC while writing,
  EIO from the rename).
- "enospc_model": writing model.safetensors of the final model fails (ENOSPC).
The exit status is the command's.
"""

import errno
import io
import json
import os
import signal
import sys

import torch

import bertkit.files
import bertkit.train.checkpoint
import bertkit.train.loop
from bertkit.cli.main import main

CALLS: dict[str, int] = {}
SIGNALLED: list[int] = []


def nth(what: str, at: int) -> bool:
    CALLS[what] = CALLS.get(what, 0) + 1
    return CALLS[what] == at


def signal_in_step(signum: int, at: int) -> None:
    real = bertkit.train.loop.accumulate

    def accumulate(*args, **kwargs):
        if nth("step", at):
            SIGNALLED.append(signum)
            os.kill(os.getpid(), signum)  # handled between bytecodes: the step goes on
        return real(*args, **kwargs)

    bertkit.train.loop.accumulate = accumulate


def signal_again_in_save() -> None:
    real = torch.save

    def save(obj, path, *args, **kwargs):
        if not SIGNALLED:  # a periodic save before the first signal
            return real(obj, path, *args, **kwargs)
        buffer = io.BytesIO()
        real(obj, buffer)
        with open(path, "wb") as f:
            f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the second signal did not stop the write")

    bertkit.train.checkpoint.torch.save = save


def fail_checkpoint_write(code: int, at: int) -> None:
    if code == errno.ENOSPC:  # the disk fills up halfway through the file
        real = torch.save

        def save(obj, path, *args, **kwargs):
            if not nth("save", at):
                return real(obj, path, *args, **kwargs)
            with open(path, "wb") as f:
                f.write(b"\0" * 1000)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

        bertkit.train.checkpoint.torch.save = save
    else:  # the rename of the complete temporary file fails
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if str(dst).endswith(".pt") and nth("rename", at):
                raise OSError(code, os.strerror(code))
            return real_replace(src, dst, *args, **kwargs)

        bertkit.files.os.replace = replace


def fail_model_write() -> None:
    import safetensors.torch

    def save_file(tensors, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"\0" * 1000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    safetensors.torch.save_file = save_file


def inject(fault: str, at: int) -> None:
    if fault in ("sigterm", "sigint"):
        signal_in_step(signal.SIGTERM if fault == "sigterm" else signal.SIGINT, at)
    elif fault == "sigterm_twice":
        signal_in_step(signal.SIGTERM, at)
        signal_again_in_save()
    elif fault in ("enospc_checkpoint", "eio_checkpoint"):
        fail_checkpoint_write(errno.ENOSPC if fault.startswith("enospc") else errno.EIO, at)
    elif fault == "enospc_model":
        fail_model_write()
    elif fault:
        raise ValueError(f"unknown fault {fault!r}")


if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    inject(request.get("fault", ""), request.get("at", 0))
    sys.exit(main(request["argv"]))
