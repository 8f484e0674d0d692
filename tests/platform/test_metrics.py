"""GET /metrics (issue 22 §9): Prometheus text, requests counted by route template, method
and status with their latency; the database pool's connections in use and the outbox's lag,
read at the scrape on both databases; off unless enabled, and behind the scraper's token when
one is set."""

from __future__ import annotations

import time
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from csoapi.core import events
from csoapi.core.events import OutboxEvent
from csoapi.core.models import utcnow
from csoapi.main import create_app
from csoapi.webhooks.models import WebhookDelivery, WebhookEndpoint
from csoapi.webhooks.worker import Worker
from tests.conftest import make_settings, serving
from tests.factories import assert_problem, create_client


def _client(**settings) -> httpx.AsyncClient:
    app = create_app(make_settings("sqlite://", **settings))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_requests_are_counted_by_route_template_and_status():
    async with _client(metrics_enabled=True) as c:
        for code in ("overpayment", "citation_paid", "overpayment"):
            assert (await c.get(f"/problems/{code}")).status_code == 200
        assert (await c.get("/problems/no_such")).status_code == 404
        assert (await c.get("/api/v1/calls/3fa2")).status_code == 401
        r = await c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    got = _samples(r.text)

    def count(route: str, status: str) -> float:
        labels = frozenset({"route": route, "method": "GET", "status": status}.items())
        return got.get(("csoapi_http_requests_total", labels), 0)

    assert count("/problems/{code}", "200") == 3  # the template, never the raw path
    assert count("/problems/{code}", "404") == 1
    assert "/problems/overpayment" not in r.text and "3fa2" not in r.text
    buckets = [
        v
        for (name, labels), v in got.items()
        if name == "csoapi_http_request_duration_seconds_count"
        and ("route", "/problems/{code}") in labels
        and ("status", "200") in labels
    ]
    assert buckets == [3]


async def test_off_unless_enabled_and_behind_its_token_when_set():
    async with _client() as c:
        assert_problem(await c.get("/metrics"), 404, "not_found")
    async with _client(metrics_enabled=True, metrics_token="scrape-" + "x" * 30) as c:
        assert_problem(await c.get("/metrics"), 401, "unauthorized")
        wrong = {"Authorization": "Bearer scrape-nope"}
        assert_problem(await c.get("/metrics", headers=wrong), 401, "unauthorized")
        right = {"Authorization": "Bearer scrape-" + "x" * 30}
        assert (await c.get("/metrics", headers=right)).status_code == 200


async def test_each_app_counts_its_own():
    async with _client(metrics_enabled=True) as a, _client(metrics_enabled=True) as b:
        await a.get("/healthz")
        assert "/healthz" not in (await b.get("/metrics")).text
        assert "/healthz" in (await a.get("/metrics")).text


# -- read at the scrape: the database pool and the outbox's lag (both databases) ------------
DAY = 86_400.0


def _gauges(text: str) -> dict[str, float]:
    """Unlabelled gauges by name; the lag by ``lag:<stage>``."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = f"lag:{s.labels['stage']}" if "stage" in s.labels else s.name
            found[key] = s.value
    return found


@asynccontextmanager
async def _own_app(settings):
    """An app with engines of its own, their pools sized by ``settings``; and its client."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield app, c
    finally:
        if app.state.async_engine is not None:
            await app.state.async_engine.dispose()
        if app.state.engine is not None:
            app.state.engine.dispose()


async def _scrape(c: httpx.AsyncClient) -> dict[str, float]:
    r = await c.get("/metrics")
    assert r.status_code == 200, r.text
    return _gauges(r.text)


async def test_the_pool_in_use_is_the_connections_checked_out(database, clean_tables):
    settings = make_settings(database.url, metrics_enabled=True, database_pool_size=3)
    async with _own_app(settings) as (app, c):
        idle = await _scrape(c)
        assert idle["csoapi_db_pool_size"] == 3
        assert idle["csoapi_db_pool_connections_in_use"] == 0
        assert idle["csoapi_database_up"] == 1
        if app.state.async_engine is not None:  # PostgreSQL: the asyncpg pool units use
            async with app.state.async_engine.connect() as held:
                await held.execute(sa.text("SELECT 1"))
                busy = await _scrape(c)
        else:  # SQLite: the file's pool the worker thread's units use
            with app.state.engine.connect() as held:
                held.execute(sa.text("SELECT 1"))
                busy = await _scrape(c)
        assert busy["csoapi_db_pool_connections_in_use"] == 1
        assert (await _scrape(c))["csoapi_db_pool_connections_in_use"] == 0


def _events_a_day_old(sessions, count: int) -> None:
    with sessions() as s, s.begin():
        for _ in range(count):
            call = uuid.uuid4()
            payload = {"id": str(call)}
            events.append(
                s,
                "call.updated",
                entity_type="call",
                entity_id=call,
                read_scope="calls:read",
                payload=payload,
            )
        s.execute(sa.update(OutboxEvent).values(occurred_at=utcnow() - timedelta(seconds=DAY)))


def _endpoint(sessions, settings) -> None:
    with sessions() as s:
        client, _ = create_client(s, settings, "cad")
        s.add(
            WebhookEndpoint(client_id=client.id, url="https://hooks.example/in", secret="whsec_x")
        )
        s.commit()


def _fanned_out(worker: Worker) -> int:
    """What the worker fans out, passes repeated (PostgreSQL: it takes only events below
    the oldest transaction still running on the server, which another database's test may
    hold open for a moment)."""
    made = 0
    for _ in range(300):
        made += worker.fan_out()
        if made:
            return made
        time.sleep(0.1)
    return made


def _a_day(seconds: float) -> bool:
    return DAY <= seconds < DAY + 600  # the events' age, give or take this test's own time


@pytest.mark.synthetic_events
async def test_the_outbox_lag_follows_the_worker(database, settings, live_db):
    scraping = make_settings(database.url, metrics_enabled=True)
    async with serving(scraping, engine=database.engine) as c:
        quiet = await _scrape(c)
        assert (quiet["lag:fan_out"], quiet["lag:delivery"]) == (0, 0)
        assert quiet["csoapi_outbox_pending_deliveries"] == 0
        _events_a_day_old(live_db, 2)
        nobody = await _scrape(c)  # no endpoint: no event waits for the worker
        assert (nobody["lag:fan_out"], nobody["csoapi_outbox_pending_deliveries"]) == (0, 0)
        _endpoint(live_db, settings)
        behind = await _scrape(c)
        assert _a_day(behind["lag:fan_out"]) and behind["lag:delivery"] == 0
        assert _fanned_out(Worker(live_db, settings)) == 2
        fanned = await _scrape(c)
        assert fanned["lag:fan_out"] == 0 and _a_day(fanned["lag:delivery"])
        assert fanned["csoapi_outbox_pending_deliveries"] == 2
        with live_db() as s, s.begin():
            s.execute(sa.update(WebhookDelivery).values(status="succeeded"))
        done = await _scrape(c)
        assert (done["lag:fan_out"], done["lag:delivery"]) == (0, 0)
        assert done["csoapi_outbox_pending_deliveries"] == 0


async def test_a_database_that_does_not_answer_is_down_not_a_500():
    # a memory database no migration has run on: the backlog's tables are not there
    async with _client(metrics_enabled=True) as c:
        r = await c.get("/metrics")
    assert r.status_code == 200
    got = _gauges(r.text)
    assert got["csoapi_database_up"] == 0 and "lag:fan_out" not in got
