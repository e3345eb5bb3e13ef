"""Run pretrain() in this process and SIGKILL it at a chosen moment (used by test_kill_resume.py).

    python killable_pretrain.py '{"data": ..., "model": ..., "kill": "save", "at": 2}'

kill="step": die when the training step is called for the `at`-th time (the middle of a run);
kill="save": die halfway through writing the `at`-th checkpoint file. Without "kill", run normally.
"""

import io
import json
import os
import signal
import sys

import torch

import bertkit.train.pretrain as pretrain_module
from bertkit.train import TrainConfig
from bertkit.train.pretrain import PretrainConfig, pretrain


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    args = json.loads(sys.argv[1])
    kill, at, calls = args.pop("kill", None), args.pop("at", 0), []
    if kill == "step":
        real_step = pretrain_module.pretraining_step

        def step(model, batch, totals):
            calls.append(1)
            if len(calls) == at:
                die()
            return real_step(model, batch, totals)

        pretrain_module.pretraining_step = step
    if kill == "save":
        real_save = torch.save

        def save(obj, path, *a, **kw):
            calls.append(1)
            if len(calls) == at:
                buffer = io.BytesIO()
                real_save(obj, buffer)
                with open(path, "wb") as f:
                    f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
                    f.flush()
                    os.fsync(f.fileno())
                die()
            return real_save(obj, path, *a, **kw)

        torch.save = save
    config = PretrainConfig(data=args.pop("data"), model=args.pop("model"))
    resume = args.pop("resume", False)
    pretrain(config, TrainConfig(**args), resume=resume)


if __name__ == "__main__":
    main()
