"""The queue limit (429 at once) and graceful shutdown (requests in flight finish, exit 0), on a
server of its own that admits one request at a time."""

import re
import threading
import time

import httpx
import pytest

from tests.serve.server import Server

# Enough work (32 inputs of 256 tokens on MiniLM) to stay in flight for a while on a CPU.
BIG = {"inputs": ["a sentence that repeats itself " * 60] * 32, "truncate": True}


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory, minilm_dir):
    """One server for the module; the shutdown test, last, stops it."""
    args = ["--model", str(minilm_dir), "--max-concurrent-requests", "1"]
    server = Server(args, tmp_path_factory.mktemp("limits") / "server.log")
    yield server
    server.stop()


def in_flight(server) -> int:
    text = httpx.get(server.url + "/metrics").text
    return int(re.search(r"bertkit_requests_in_flight (\d+)", text).group(1))


def start_big_request(server) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def send():
        result["response"] = httpx.post(server.url + "/embed", json=BIG, timeout=300)

    thread = threading.Thread(target=send)
    thread.start()
    deadline = time.monotonic() + 30
    while in_flight(server) == 0:
        assert time.monotonic() < deadline, "the big request never started"
        time.sleep(0.01)
    return thread, result


def test_a_full_server_answers_429_at_once_then_recovers(one_at_a_time):
    thread, result = start_big_request(one_at_a_time)
    started = time.perf_counter()
    refused = httpx.post(one_at_a_time.url + "/embed", json={"inputs": "hi"}, timeout=60)
    assert refused.status_code == 429
    assert refused.json()["error_type"] == "overloaded"
    assert time.perf_counter() - started < 1.0 or thread.is_alive()
    thread.join()
    assert result["response"].status_code == 200
    assert httpx.post(one_at_a_time.url + "/embed", json={"inputs": "hi"}).status_code == 200


def test_sigterm_finishes_requests_in_flight_and_exits_0(one_at_a_time):
    thread, result = start_big_request(one_at_a_time)
    status = one_at_a_time.stop()
    thread.join()
    assert result["response"].status_code == 200
    assert len(result["response"].json()) == 32
    assert status == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(one_at_a_time.url + "/health", timeout=5)
