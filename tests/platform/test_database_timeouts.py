"""A database that accepts connections and never answers, or a statement that runs on, costs
a request seconds and a 503: connect and statement timeouts are on by default."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError

from csoapi.core.db import (
    _psycopg_timeouts,
    asyncpg_connect_args,
    make_async_engine,
    make_engine,
)
from csoapi.main import create_app
from tests.conftest import make_settings
from tests.factories import assert_problem
from tests.probes import Anyone, close


@pytest.fixture
async def silent_server():
    """A TCP server that accepts every connection and never says a word (a hung database,
    a black-holed failover address)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/hung"
    finally:
        for w in held:
            w.close()
        server.close()


async def test_readyz_gives_up_on_a_database_that_never_answers(silent_server):
    settings = make_settings(silent_server).model_copy(
        update={"database_connect_timeout_seconds": 1.0}
    )
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            loop = asyncio.get_running_loop()
            started = loop.time()
            r = await asyncio.wait_for(c.get("/readyz"), 15)
            elapsed = loop.time() - started
    finally:
        await close(app)
    assert_problem(r, 503, "database_unreachable")
    assert elapsed < 5, elapsed


def test_timeouts_reach_both_drivers_start_up():
    """psycopg gets statement_timeout in libpq's ``options`` (kept with the URL's own),
    asyncpg in its start-up settings; a URL's own connect_timeout wins over the setting."""
    tight = make_settings("sqlite://").model_copy(
        update={"database_statement_timeout_seconds": 0.25}
    )
    url = "postgresql://u@h/db?connect_timeout=9&options=-c%20search_path%3Dcso"
    assert _psycopg_timeouts(sa.make_url(url), tight) == {
        "options": "-c search_path=cso -c statement_timeout=250"
    }
    assert _psycopg_timeouts(sa.make_url("postgresql://u@h/db"), tight) == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=250",
    }
    off = tight.model_copy(update={"database_statement_timeout_seconds": 0})
    assert _psycopg_timeouts(sa.make_url("postgresql://u@h/db"), off) == {"connect_timeout": 5}
    for given, expected in ((url, 9.0), ("postgresql://u@h/db", 5.0)):
        dsn, keywords = asyncpg_connect_args(given, tight)
        assert "connect_timeout" not in dsn
        assert keywords == {"timeout": expected, "server_settings": {"statement_timeout": "250"}}


async def test_a_statement_past_the_timeout_is_a_503(database, postgres_only):
    settings = make_settings(database.url).model_copy(
        update={"database_statement_timeout_seconds": 0.2}
    )
    engine = make_engine(database.url, settings)
    async_engine = make_async_engine(database.url, settings)
    assert async_engine is not None
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
            conn.execute(sa.text("SELECT pg_sleep(2)"))
        assert caught.value.orig.sqlstate == "57014"
        async with async_engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(sa.text("SELECT pg_sleep(2)"))
        assert "57014" in str(getattr(caught.value.orig, "sqlstate", "")) or "cancel" in str(
            caught.value
        )
    finally:
        engine.dispose()
        await async_engine.dispose()

    app = create_app(settings)
    slow = APIRouter()

    @slow.get("/sleep")
    async def sleep(unit: Anyone) -> Response:
        return await unit.run(lambda svc: svc.session.execute(sa.text("SELECT pg_sleep(2)")) and {})

    app.include_router(slow)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            r = await c.get("/sleep")
    finally:
        await close(app)
    assert_problem(r, 503, "database_unavailable")
