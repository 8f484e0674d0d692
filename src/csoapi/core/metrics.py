"""Request metrics for Prometheus (``GET /metrics``): how many requests each route template
answered with each status, and how long they took.

Counted per process, in a registry of each app's own (Prometheus' model: every process is a
target, and queries sum over them); with ``--workers N`` each worker answers for itself, so
scrape each process (one per port) or accept one worker's share per scrape. Labels are the
route template (never the raw path: it can carry a plate or a name), the method and the
status, so their number is bounded by the routes.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE  # noqa: F401 - re-exported
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

# Seconds: from a cached read to a slow export.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "csoapi_http_requests",
            "Requests answered, by route template, method and status",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "csoapi_http_request_duration_seconds",
            "Time from a request's arrival to its answer, by route template, method and status",
            ("route", "method", "status"),
            buckets=BUCKETS,
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        labels = (route, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
