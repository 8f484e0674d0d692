"""The per-client rate limit: the IETF draft's RateLimit headers on every answer, and past
the quota a 429 problem with Retry-After, per client address."""

from __future__ import annotations

import re

import httpx

from csoapi.main import create_app
from tests.conftest import make_settings
from tests.factories import assert_problem
from tests.probes import close


async def test_quota_headers_then_429_with_retry_after(tmp_path, monkeypatch):
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.0 + 15)  # 45 s left in the minute
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'r.db'}", client_rate_per_minute=3))

    def caller(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 1234))
        return httpx.AsyncClient(transport=transport, base_url="http://t")

    async with caller("198.51.100.1") as one, caller("198.51.100.2") as two:
        seen = []
        for _ in range(3):
            r = await one.get("/healthz")
            assert r.status_code == 200
            assert r.headers["ratelimit-policy"] == '"client";q=3;w=60'
            seen.append(r.headers["ratelimit"])
        assert seen == ['"client";r=2;t=45', '"client";r=1;t=45', '"client";r=0;t=45']
        r = await one.get("/api/v1/auth/me")
        body = assert_problem(r, 429, "rate_limited")
        assert r.headers["retry-after"] == "45" and "45 s" in body["detail"]
        assert re.fullmatch(r'"client";r=0;t=45', r.headers["ratelimit"])
        # Another address has its own quota.
        assert (await two.get("/healthz")).headers["ratelimit"] == '"client";r=2;t=45'
    # The next minute starts afresh.
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.0 + 61)
    async with caller("198.51.100.1") as one:
        r = await one.get("/healthz")
        assert r.status_code == 200 and r.headers["ratelimit"] == '"client";r=2;t=59'
    await close(app)


async def test_a_limit_of_zero_sends_no_headers(client):
    # The suite's settings turn the limit off (conftest): no quota is claimed.
    r = await client.get("/healthz")
    assert "ratelimit" not in r.headers and "ratelimit-policy" not in r.headers
