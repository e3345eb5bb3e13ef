"""Starting or joining Ray: a local one on this machine, or a running cluster at an address.

A local Ray is bounded: the CPUs the job's actors need (not every core of a shared machine),
no dashboard UI, a capped object store; it stops with the job. It is not loopback-only: Ray
replaces 127.0.0.1 by the machine's address and its services listen on every interface, so a
shared machine needs a firewall in front of Ray's ports. Its actors run at the niceness of the
command that started it: Ray's default (15) would leave them only the CPU time that every other
process on a shared machine does not want. With an address
(`ray start --head` printed it; "auto" finds the one on this node) the job joins that cluster and
leaves it running. A Ray already started in this process (a notebook, a test) is used as it is.
Ray is the `ray` extra, imported here and nowhere at module level.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bertkit.errors import BertkitError

OBJECT_STORE_BYTES = 512 * 2**20  # a local Ray's shared memory: the files in flight, not the corpus


def import_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise BertkitError("--engine ray needs Ray: pip install 'bertkit[ray]'") from None
    return ray


@contextmanager
def ray_session(address: str | None, num_cpus: int, num_gpus: int | None = None) -> Iterator:
    """Ray, started locally with `num_cpus` CPUs or joined at `address`, for the `with` block."""
    ray = import_ray()
    is_ours = not ray.is_initialized()
    if is_ours:
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(
                num_cpus=num_cpus,
                num_gpus=num_gpus,
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                object_store_memory=OBJECT_STORE_BYTES,
                _system_config={"worker_niceness": 0},  # an increment: the driver's own (docstring)
                **quiet,
            )
    quiet_data(ray)
    try:
        yield ray
    finally:
        if is_ours:
            ray.shutdown()


def quiet_data(ray) -> None:
    """Ray Data's per-run lines (execution plan, progress bars) off: the job prints its own."""
    for name in ("ray.data", "ray.data._internal"):
        logging.getLogger(name).setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
