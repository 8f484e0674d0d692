"""The request's session: one transaction, committed only when the request succeeds, and its
connection always back in the pool when the response has gone."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response

from csoapi.core.db import make_async_engine
from csoapi.core.errors import Conflict
from csoapi.core.ratelimit import RateCounter
from csoapi.main import create_app
from tests.conftest import make_settings
from tests.factories import assert_problem
from tests.probes import Anyone, Probe, close

WINDOW = datetime(2026, 1, 1, tzinfo=UTC)


def _mark(session, key: str) -> None:  # type: ignore[no-untyped-def]
    session.execute(sa.insert(RateCounter).values(key=key, window_start=WINDOW, shard=0, count=1))


@contextlib.contextmanager
def _pool_watch(app):  # type: ignore[no-untyped-def]
    """How many connections the pool of the app's units has out (asyncpg's on PostgreSQL)."""
    engine = app.state.async_engine.sync_engine if app.state.async_engine else app.state.engine
    yield engine.pool.checkedout


async def test_commit_only_on_success_and_every_connection_returned(database):
    app = create_app(make_settings(database.url, database_pool_size=2, database_max_overflow=0))
    probe = APIRouter()
    run = uuid.uuid4().hex[:12]

    @probe.post("/probe/{outcome}")
    async def write_then(outcome: str, unit: Anyone) -> Response:
        def work(svc: Probe) -> dict[str, str]:
            _mark(svc.session, f"{run}:{outcome}")
            if outcome == "crash":
                raise RuntimeError("unexpected")
            if outcome == "refuse":
                raise Conflict("refused after writing", code="probe_refused")
            return {"outcome": outcome}

        return await unit.run(work)

    app.include_router(probe)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            with _pool_watch(app) as checked_out:
                for _ in range(3):  # more requests than the pool has connections
                    assert_problem(await c.post("/probe/crash"), 500, "internal_error")
                    assert_problem(await c.post("/probe/refuse"), 409, "probe_refused")
                    assert checked_out() == 0
                assert (await c.post("/probe/ok")).status_code == 200
                assert checked_out() == 0
    finally:
        await close(app)
    with database.engine.connect() as conn:
        kept = conn.scalars(
            sa.select(RateCounter.key).where(RateCounter.key.like(f"{run}:%"))
        ).all()
        assert kept == [f"{run}:ok"]
        conn.execute(sa.delete(RateCounter).where(RateCounter.key.like(f"{run}:%")))
        conn.commit()


async def test_the_asyncpg_engine_takes_the_operators_libpq_style_url(database, postgres_only):
    """The hot routes' engine opens connections from the same CSOAPI_DATABASE_URL as the
    threaded one, libpq parameters included (asyncpg parses them, SQLAlchemy would not)."""
    url = database.url + (
        "?sslmode=disable&application_name=csoapi-units&connect_timeout=5&keepalives=1"
    )
    engine = make_async_engine(url, poolclass=sa.pool.NullPool)
    assert engine is not None
    try:
        async with engine.connect() as conn:
            name = await conn.scalar(sa.text("SELECT current_setting('application_name')"))
    finally:
        await engine.dispose()
    assert name == "csoapi-units"
    assert make_async_engine("sqlite:///somewhere.db") is None  # SQLite: worker threads
