"""Prometheus metrics in the text exposition format (version 0.0.4), kept in plain dicts.

https://prometheus.io/docs/instrumenting/exposition_formats/ : counters, gauges, and cumulative
histograms with `_bucket{le=...}`, `_sum` and `_count` series.
"""

import bisect
from collections import defaultdict

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
BATCH_TOKEN_BUCKETS = (64, 256, 1024, 4096, 16384, 65536)


class Histogram:
    def __init__(self, buckets: tuple[float, ...]):
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value

    def lines(self, name: str, labels: str) -> list[str]:
        out, cumulative = [], 0
        sep = "," if labels else ""
        for bound, count in zip([*self.buckets, "+Inf"], self.counts, strict=True):
            cumulative += count
            out.append(f'{name}_bucket{{{labels}{sep}le="{bound}"}} {cumulative}')
        out.append(f"{name}_sum{{{labels}}} {self.total}")
        out.append(f"{name}_count{{{labels}}} {cumulative}")
        return out


class Metrics:
    """What the server counts; `render()` is the /metrics body."""

    def __init__(self):
        self.requests: dict[tuple[str, int], int] = defaultdict(int)  # (route, status) -> n
        self.latency: dict[str, Histogram] = defaultdict(lambda: Histogram(LATENCY_BUCKETS))
        self.queue_depth: dict[str, int] = {}  # batcher -> waiting inputs
        self.batch_size: dict[str, Histogram] = defaultdict(lambda: Histogram(BATCH_SIZE_BUCKETS))
        self.batch_tokens: dict[str, Histogram] = defaultdict(
            lambda: Histogram(BATCH_TOKEN_BUCKETS)
        )
        self.inference: dict[str, Histogram] = defaultdict(lambda: Histogram(LATENCY_BUCKETS))
        self.tokens: dict[str, int] = defaultdict(int)  # batcher -> tokens run, as budgeted
        self.in_flight = 0  # inference requests queued or running

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        self.requests[(route, status)] += 1
        self.latency[route].observe(seconds)

    def observe_batch(self, batcher: str, size: int, tokens: int, seconds: float) -> None:
        self.batch_size[batcher].observe(size)
        self.batch_tokens[batcher].observe(tokens)
        self.inference[batcher].observe(seconds)
        self.tokens[batcher] += tokens

    def render(self) -> str:
        lines = [
            "# HELP bertkit_requests_total HTTP requests by route and status.",
            "# TYPE bertkit_requests_total counter",
        ]
        for (route, status), n in sorted(self.requests.items()):
            lines.append(f'bertkit_requests_total{{route="{route}",status="{status}"}} {n}')
        lines += [
            "# HELP bertkit_request_duration_seconds Time from request to response.",
            "# TYPE bertkit_request_duration_seconds histogram",
        ]
        for route, histogram in sorted(self.latency.items()):
            lines += histogram.lines("bertkit_request_duration_seconds", f'route="{route}"')
        lines += [
            "# HELP bertkit_requests_in_flight Inference requests queued or running.",
            "# TYPE bertkit_requests_in_flight gauge",
            f"bertkit_requests_in_flight {self.in_flight}",
            "# HELP bertkit_queue_depth Inputs waiting for a batch.",
            "# TYPE bertkit_queue_depth gauge",
        ]
        for batcher, depth in sorted(self.queue_depth.items()):
            lines.append(f'bertkit_queue_depth{{batcher="{batcher}"}} {depth}')
        for name, kind, table in (
            ("bertkit_batch_size", "Inputs per forward pass.", self.batch_size),
            ("bertkit_batch_tokens", "Tokens per forward pass (budgeted).", self.batch_tokens),
            ("bertkit_inference_duration_seconds", "Time per forward pass.", self.inference),
        ):
            lines += [f"# HELP {name} {kind}", f"# TYPE {name} histogram"]
            for batcher, histogram in sorted(table.items()):
                lines += histogram.lines(name, f'batcher="{batcher}"')
        lines += [
            "# HELP bertkit_tokens_total Tokens run (real when the model unpads, else padded).",
            "# TYPE bertkit_tokens_total counter",
        ]
        for batcher, n in sorted(self.tokens.items()):
            lines.append(f'bertkit_tokens_total{{batcher="{batcher}"}} {n}')
        return "\n".join(lines) + "\n"
