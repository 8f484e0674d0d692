"""Metrics for Prometheus (``GET /metrics``): how many requests each route template answered
with each status and how long they took; and, read at each scrape, the database pool's
connections in use and the outbox's lag (how far the webhook worker is behind).

Counted per process, in a registry of each app's own (Prometheus' model: every process is a
target, and queries sum over them); with ``--workers N`` each worker answers for itself, so
scrape each process (one per port) or accept one worker's share per scrape. Labels are the
route template (never the raw path: it can carry a plate or a name), the method and the
status, so their number is bounded by the routes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE  # noqa: F401 - re-exported
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.pool import Pool, QueuePool

# Seconds: from a cached read to a slow export.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class DatabaseState:
    """What one scrape read of the database. ``pool``: (connections checked out, pool size)
    of the pool requests use, when it is a bounded pool; ``lag``: the outbox's lag in
    seconds by stage (``fan_out``, ``delivery``) and ``pending`` the open deliveries, or
    None when the database did not answer (``up`` then 0)."""

    up: bool
    pool: tuple[int, int] | None = None
    lag: dict[str, float] = field(default_factory=dict)
    pending: int | None = None


def pool_usage(pool: Pool) -> tuple[int, int] | None:
    """(connections checked out now, configured pool size) of a bounded pool (the asyncpg
    engine's, a SQLite file's); None for the single-connection pools of memory databases."""
    if isinstance(pool, QueuePool):
        return pool.checkedout(), pool.size()
    return None


class _DatabaseCollector(Collector):
    """The last scrape's ``DatabaseState`` as gauges (set just before it is rendered)."""

    def __init__(self) -> None:
        self.state: DatabaseState | None = None

    def collect(self) -> Iterator[Metric]:
        state = self.state
        if state is None:
            return
        yield _gauge("csoapi_database_up", "1 when the scrape's database read succeeded", state.up)
        if state.pool is not None:
            yield _gauge(
                "csoapi_db_pool_connections_in_use",
                "Connections of the request pool checked out (other requests'; the scrape's "
                "own is taken after reading this)",
                state.pool[0],
            )
            yield _gauge("csoapi_db_pool_size", "Connections the request pool keeps", state.pool[1])
        if state.lag:
            lag = GaugeMetricFamily(
                "csoapi_outbox_lag_seconds",
                "Age of the oldest event the webhook worker has not yet fanned out to every "
                "active endpoint (stage fan_out) or delivered (stage delivery); 0 when none waits",
                labels=("stage",),
            )
            for stage, seconds in sorted(state.lag.items()):
                lag.add_metric((stage,), seconds)
            yield lag
        if state.pending is not None:
            yield _gauge(
                "csoapi_outbox_pending_deliveries",
                "Webhook deliveries not yet done (pending or being delivered; dead ones excluded)",
                state.pending,
            )


def _gauge(name: str, documentation: str, value: Any) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


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
        self.database = _DatabaseCollector()
        self.registry.register(self.database)
        self._rendering = threading.Lock()

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        labels = (route, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def render(self, database: DatabaseState | None = None) -> bytes:
        """The text exposition, with ``database`` as this scrape's database gauges."""
        with self._rendering:
            self.database.state = database
            return generate_latest(self.registry)
