"""The local Ray a job starts: bounded to the job's CPUs, its workers at the driver's niceness
(Ray's default would run them at +15, starved by every other process on a shared machine)."""

import os

import pytest

from bertkit.ray.cluster import ray_session


def test_local_ray_is_bounded_and_its_workers_keep_the_drivers_niceness():
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray is already running in this process")
    with ray_session(None, num_cpus=1) as session:

        @session.remote(num_cpus=1)
        def niceness() -> int:
            return os.nice(0)

        assert session.cluster_resources()["CPU"] == 1
        assert session.get(niceness.remote()) == os.nice(0)
    assert not ray.is_initialized()  # the job's own Ray stops with it
