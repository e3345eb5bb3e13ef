"""Training-state checkpoints: one file per save, written to a temporary name and renamed.

A checkpoint holds what resuming needs to continue as if never stopped (state.py). A process killed
mid-save leaves only a temporary file, which `list_checkpoints` ignores and
`remove_stale_temporaries` deletes. A write that fails (disk full, I/O error) leaves the previous
checkpoints as they were. Each file carries a SHA-256 digest of its content, checked on load: a
truncated or corrupted file is refused by name, and `newest_usable` falls back to an older one
(torch's zip reader does not check its own CRCs, so a flipped byte would otherwise load silently).
"""

import hashlib
import logging
import re
from pathlib import Path

import torch

from bertkit.errors import BertkitError
from bertkit.files import atomic_path

log = logging.getLogger(__name__)

NAME = re.compile(r"^step-(\d{8})\.pt$")
DIGEST = "sha256"  # the key of the digest in a checkpoint file


class CheckpointWriteFailed(BertkitError):
    """A checkpoint could not be written; the previous ones are intact."""


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
    try:
        with atomic_path(path) as tmp:
            torch.save({**state, DIGEST: state_digest(state)}, tmp)
    except (OSError, RuntimeError) as error:  # torch.save reports a failed write as RuntimeError
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise CheckpointWriteFailed(
            f"could not write {path} ({reason}); the previous checkpoints are intact"
        ) from None
    for old in list_checkpoints(directory)[:-keep_last]:
        old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path) -> dict:
    """The content of a checkpoint file, its digest checked; a damaged file is a BertkitError."""
    try:
        # weights_only: a checkpoint is tensors and plain numbers, so loading runs no pickled code.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated or foreign file: say which one
        raise BertkitError(f"{path}: not a readable bertkit checkpoint ({error})") from None
    if not isinstance(state, dict) or "step" not in state:
        raise BertkitError(f"{path}: not a bertkit checkpoint (no step)")
    digest = state.pop(DIGEST, None)
    if digest is not None and digest != state_digest(state):
        raise BertkitError(f"{path}: damaged (its content does not match its {DIGEST} digest)")
    return state


def newest_usable(directory: Path) -> tuple[Path, dict] | None:
    """The newest checkpoint that loads, and its content; each damaged newer one is skipped with
    a warning naming it. None without checkpoints; a BertkitError when none loads."""
    checkpoints = list_checkpoints(directory)
    for path in reversed(checkpoints):
        try:
            return path, load_checkpoint(path)
        except BertkitError as error:
            log.warning("skipping a damaged checkpoint: %s", error)
    if checkpoints:
        names = ", ".join(p.name for p in checkpoints)
        raise BertkitError(f"{directory}: no usable checkpoint ({names} are all damaged)")
    return None


def state_digest(state: dict) -> str:
    """SHA-256 over every tensor's bytes and every other value of `state`, in key order."""
    sha = hashlib.sha256()
    _update(sha, state)
    return sha.hexdigest()


def _update(sha, value) -> None:
    if isinstance(value, torch.Tensor):
        tensor = value.detach().to("cpu").contiguous().reshape(-1)
        sha.update(f"tensor {tensor.dtype} {tuple(value.shape)}:".encode())
        sha.update(tensor.view(torch.uint8).numpy().data if tensor.numel() else b"")
    elif isinstance(value, dict):
        sha.update(b"{")
        for key in sorted(value, key=repr):
            sha.update(repr(key).encode() + b":")
            _update(sha, value[key])
        sha.update(b"}")
    elif isinstance(value, list | tuple):
        sha.update(b"[")
        for item in value:
            _update(sha, item)
        sha.update(b"]")
    else:
        sha.update(repr(value).encode() + b";")


def remove_stale_temporaries(directory: Path) -> None:
    """Delete the temporary files of saves that were killed before their rename."""
    if directory.is_dir():
        for tmp in directory.glob(".step-*.pt.tmp-*"):
            log.info("removing %s, left by an interrupted save", tmp.name)
            tmp.unlink(missing_ok=True)
