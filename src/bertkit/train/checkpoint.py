"""Training-state checkpoints: one file per save, written to a temporary name and renamed.

A checkpoint holds what resuming needs to continue as if never stopped: model, optimizer, scheduler,
step, every process's RNG states and the data position. A process killed mid-save leaves only a
temporary file, which `latest_checkpoint` ignores and `remove_stale_temporaries` deletes.
"""

import logging
import re
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.files import atomic_path

log = logging.getLogger(__name__)

NAME = re.compile(r"^step-(\d{8})\.pt$")


def checkpoint_path(directory: Path, step: int) -> Path:
    return directory / f"step-{step:08d}.pt"


def list_checkpoints(directory: Path) -> list[Path]:
    """Complete checkpoints in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if NAME.match(p.name))


def latest_checkpoint(directory: Path) -> Path | None:
    checkpoints = list_checkpoints(directory)
    return checkpoints[-1] if checkpoints else None


def save_checkpoint(directory: Path, state: dict, keep_last: int) -> Path:
    """Write `state` (with a "step" key) atomically, then delete all but the newest `keep_last`."""
    path = checkpoint_path(directory, state["step"])
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    for old in list_checkpoints(directory)[:-keep_last]:
        old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path) -> dict:
    try:
        # weights_only: a checkpoint is tensors and plain numbers, so loading runs no pickled code.
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated or foreign file: say which one
        raise BertkitError(f"{path}: not a readable bertkit checkpoint ({error})") from None


def remove_stale_temporaries(directory: Path) -> None:
    """Delete the temporary files of saves that were killed before their rename."""
    if directory.is_dir():
        for tmp in directory.glob(".step-*.pt.tmp-*"):
            log.info("removing %s, left by an interrupted save", tmp.name)
            tmp.unlink(missing_ok=True)
