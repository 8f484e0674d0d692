from __future__ import annotations

import httpx
from sqlalchemy.pool import NullPool

from csoapi.core.db import make_async_engine, make_unit_factory
from csoapi.core.migrate import downgrade, upgrade
from csoapi.main import create_app
from tests.conftest import make_settings
from tests.factories import assert_problem
from tests.probes import close


async def test_healthz_and_readyz(client):
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok"


async def test_request_id_is_echoed_when_safe_and_replaced_when_not(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "cad-req-42"})
    assert r.headers["x-request-id"] == "cad-req-42"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert r.headers["x-request-id"] != "bad id\twith junk"
    assert len(r.headers["x-request-id"]) == 32


async def test_readyz_is_503_when_schema_is_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade(url)
    downgrade(url, "base")
    app = create_app(make_settings(url))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/readyz")
    assert_problem(r, 503, "schema_not_at_head")
    await close(app)


async def test_readyz_asks_the_hot_routes_driver_too(client, app, database, postgres_only):
    original = app.state.unit_factory
    try:
        for url, status in ((database.url, 200), ("postgresql://postgres@127.0.0.1:1/x", 503)):
            engine = make_async_engine(url, poolclass=NullPool)
            assert engine is not None
            app.state.unit_factory = make_unit_factory(engine)
            r = await client.get("/readyz")
            assert r.status_code == status, r.text
    finally:
        app.state.unit_factory = original
    assert_problem(r, 503, "database_unreachable")
