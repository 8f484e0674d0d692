"""GET /metrics (issue 22 §9): Prometheus text, requests counted by route template, method
and status with their latency; off unless enabled, and behind the scraper's token when one
is set."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from csoapi.main import create_app
from tests.conftest import make_settings
from tests.factories import assert_problem


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
