"""Every error status is problem+json with a stable code and no internals."""

from __future__ import annotations

import contextlib

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.exc import DBAPIError

from csoapi.calls.models import Call
from csoapi.core.db import make_async_engine, make_unit_factory
from csoapi.core.driver_errors import transient
from csoapi.main import create_app
from tests.calls.helpers import call_body
from tests.conftest import make_settings
from tests.factories import assert_problem, bearer, create_client, headers_for, token_for
from tests.probes import Anyone, close


async def test_404_unknown_path_and_405(client):
    assert_problem(await client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_problem(await client.delete("/healthz"), 405, "method_not_allowed")


async def test_404_unknown_resource(client, db, settings):
    admin = headers_for(db, settings, "admin")
    r = await client.get("/api/v1/users/00000000-0000-4000-8000-000000000000", headers=admin)
    assert_problem(r, 404, "user_not_found")


async def test_422_shapes(client, db, settings):
    admin = headers_for(db, settings, "admin")
    r = await client.get("/api/v1/users/not-a-uuid", headers=admin)
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["path", "user_id"]
    assert set(body["errors"][0]) == {"loc", "msg", "type"}
    # Unknown fields are refused, strings are bounded, enums are closed.
    base = {
        "username": "new.user",
        "full_name": "N",
        "role": "cso",
        "password": "violet harbor lantern 42",
    }
    for bad in (
        base | {"is_admin": True},
        base | {"full_name": "x" * 201},
        base | {"role": "chief"},
        base | {"password": "short"},
        {**base, "username": "Bad Name!"},
    ):
        assert_problem(
            await client.post("/api/v1/users", json=bad, headers=admin), 422, "validation_error"
        )
    # Naive datetimes are refused.
    auditor = headers_for(db, settings, "sergeant")
    r = await client.get("/api/v1/audit", params={"from": "2026-01-01T00:00:00"}, headers=auditor)
    assert_problem(r, 422, "validation_error")
    r = await client.get(
        "/api/v1/audit", params={"from": "2026-01-01T00:00:00-08:00"}, headers=auditor
    )
    assert r.status_code == 200
    # Bounded page sizes.
    for limit in (0, 501, -1, "x"):
        r = await client.get("/api/v1/users", params={"limit": limit}, headers=admin)
        assert_problem(r, 422, "validation_error")


async def test_malformed_json_and_wrong_types(client, db, settings):
    admin = headers_for(db, settings, "admin")
    r = await client.post(
        "/api/v1/users",
        content=b'{"username": ',
        headers=admin | {"Content-Type": "application/json"},
    )
    assert_problem(r, 422, "validation_error")
    r = await client.post(
        "/api/v1/users", content=b"[1,2,3]", headers=admin | {"Content-Type": "application/json"}
    )
    assert_problem(r, 422, "validation_error")
    r = await client.post(
        "/api/v1/users", content=b"\xff\xfe", headers=admin | {"Content-Type": "application/json"}
    )
    assert_problem(r, 422, "validation_error")


async def test_nul_is_refused_in_every_part_of_a_request(client, db, settings):
    """U+0000 is a 422 everywhere on both databases (PostgreSQL's text cannot hold it: it
    was a 500 there), before anything is written."""
    admin, sergeant = headers_for(db, settings, "admin"), headers_for(db, settings, "sergeant")
    cad = headers_for(db, settings, "cad")
    user = {
        "username": "nul.user",
        "full_name": "N\u0000N",
        "role": "cso",
        "password": "violet harbor lantern 42",
    }
    call = call_body(location={"address": "12 MAIN\u0000ST"})
    for r, loc in (
        (await client.post("/api/v1/users", json=user, headers=admin), ["body", "full_name"]),
        (await client.post("/api/v1/calls", json=call, headers=cad), ["body", "location"]),
        (
            await client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": "a\u0000b", "password": "x"},
            ),
            ["body", "username"],
        ),
        (await client.get("/api/v1/calls?beat=5%0021", headers=sergeant), ["query"]),
        (await client.get("/api/v1/vehicles/CA/AB%00C", headers=sergeant), ["path"]),
    ):
        if r.request.url.path.endswith("/auth/token"):
            # The token endpoint's faults are RFC 6749 §5.2 invalid_request, a 400 (issue 22)
            body = assert_problem(r, 400, "invalid_request")
        else:
            body = assert_problem(r, 422, "validation_error")
        assert body["errors"][0]["loc"] == loc and "U+0000" in body["errors"][0]["msg"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Call)) == 0
    # Found however deep it is, and depth alone is a 422 too (the scan does not recurse).
    for depth, msg in ((900, "U+0000"), (900, None)):
        inner = '"\\u0000"' if msg else ""
        body = '{"source": "phone", "call_type": "PARKING", "location": '
        body += "[" * depth + inner + "]" * depth + "}"
        r = await client.post(
            "/api/v1/calls", content=body, headers=cad | {"Content-Type": "application/json"}
        )
        problem = assert_problem(r, 422, "validation_error")
        assert problem["errors"][0]["loc"] == ["body", "location"]
        assert (msg or "") in problem["errors"][0]["msg"]
    # Past the parser's own depth (100,000 levels, inside the body limit): a 422, not a 500.
    deep = '{"source": "phone", "location": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = await client.post(
        "/api/v1/calls", content=deep, headers=cad | {"Content-Type": "application/json"}
    )
    assert assert_problem(r, 422, "validation_error")["errors"][0]["type"] == "body_unparseable"
    # Escaped, it is just text: a backslash and "u0000".
    r = await client.post(
        "/api/v1/calls", json=call_body(location={"address": "12 MAIN \\u0000 ST"}), headers=cad
    )
    assert r.status_code == 201 and r.json()["location"]["address"] == "12 MAIN \\u0000 ST"


async def test_413_declared_and_streamed(client, db, settings):
    admin = headers_for(db, settings, "admin")
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    r = await client.post(
        "/api/v1/users", content=big, headers=admin | {"Content-Type": "application/json"}
    )
    assert_problem(r, 413, "payload_too_large")

    async def chunks():
        for _ in range(20):
            yield b" " * (64 * 1024)

    r = await client.post(
        "/api/v1/users", content=chunks(), headers=admin | {"Content-Type": "application/json"}
    )
    assert_problem(r, 413, "payload_too_large")


async def test_401_and_403(client, db, settings):
    r = await client.get("/api/v1/users")
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    r = await client.get("/api/v1/users", headers=headers_for(db, settings, "cso"))
    body = assert_problem(r, 403, "insufficient_scope")
    assert "admin" in body["detail"]
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]


@pytest.fixture
async def crashing_app(tmp_path):
    from csoapi.core.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade(url)
    app = create_app(make_settings(url))
    boom = APIRouter()

    @boom.get("/boom")
    def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2 SELECT * FROM user_account")

    @boom.get("/boom-db")
    async def explode_db(unit: Anyone) -> None:
        await unit.run(lambda svc: svc.session.execute(sa.text("SELECT * FROM no_such_table")))

    app.include_router(boom)
    yield app
    await close(app)


async def test_500_says_nothing_internal(crashing_app):
    transport = httpx.ASGITransport(app=crashing_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        for path in ("/boom", "/boom-db"):
            r = await c.get(path, headers={"X-Request-ID": "trace-me"})
            body = assert_problem(r, 500, "internal_error")
            assert "hunter2" not in r.text and "no_such_table" not in r.text
            assert r.headers["x-request-id"] == "trace-me"
            assert "trace-me" not in body["detail"]


async def test_a_value_the_database_cannot_store_is_a_422(database, postgres_only):
    """A field whose bound outgrew its column would be a 500; the error mapper keeps such a
    value (SQLSTATE 22001, 22003) a 422 on PostgreSQL."""
    app = create_app(make_settings(database.url))
    probe = APIRouter()

    def narrow(session, insert: str, **values):  # type: ignore[no-untyped-def]
        session.execute(sa.text("CREATE TEMP TABLE narrow (v varchar(2), n smallint)"))
        session.execute(sa.text(insert), values)

    @probe.post("/too-long")
    async def too_long(unit: Anyone) -> None:
        await unit.run(lambda svc: narrow(svc.session, "INSERT INTO narrow (v) VALUES ('abc')"))

    @probe.post("/too-large")
    async def too_large(unit: Anyone) -> None:
        await unit.run(
            lambda svc: narrow(svc.session, "INSERT INTO narrow (n) VALUES (:n)", n=70_000)
        )

    app.include_router(probe)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            for path in ("/too-long", "/too-large"):
                body = assert_problem(await c.post(path), 422, "value_not_storable")
                assert "narrow" not in body["detail"]
    finally:
        await close(app)


@contextlib.asynccontextmanager
async def _holding_a_connection(app):  # type: ignore[no-untyped-def]
    """One connection of the pool the app's units use (asyncpg's on PostgreSQL), held."""
    if app.state.async_engine is not None:
        async with app.state.async_engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
            yield
    else:
        with app.state.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            yield


async def test_503_when_every_connection_stays_busy(database, tmp_path):
    """A pool that stays exhausted for its whole timeout is a busy server (503 with
    Retry-After), not a crash; the connection comes back and requests succeed again."""
    settings = make_settings(
        database.url,
        database_pool_size=1,
        database_max_overflow=0,
        database_pool_timeout_seconds=0.2,
    )
    app = create_app(settings)
    form = {"grant_type": "password", "username": "x", "password": "y"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            async with _holding_a_connection(app):  # the pool's one connection, kept busy
                r = await c.post("/api/v1/auth/token", data=form)
                assert_problem(r, 503, "server_busy")
                assert r.headers["retry-after"] == "1"
            # a wrong password: RFC 6749 §5.2 invalid_grant, a 400
            assert (await c.post("/api/v1/auth/token", data=form)).status_code == 400
    finally:
        await close(app)


async def test_a_burst_larger_than_the_pool_queues_instead_of_stalling(live_db, database):
    """100 signed-in requests at once against a 2-connection pool: admitted two at a time
    (never more than the pool holds), all finish."""
    import asyncio

    settings = make_settings(database.url, database_pool_size=2, database_max_overflow=0)
    with live_db() as s:
        auth = headers_for(s, settings, "cso")
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            responses = await asyncio.gather(
                *(c.get("/api/v1/auth/me", headers=auth) for _ in range(100))
            )
        assert [r.status_code for r in responses] == [200] * 100
    finally:
        await close(app)


def test_admission_serves_an_app_driven_from_one_loop_then_another(database):
    """A waiting request binds an asyncio semaphore to its loop; the app must still admit
    requests when a later loop drives it (it answered 500 'bound to a different event
    loop')."""
    import asyncio

    from csoapi.core.db import make_engine

    settings = make_settings(database.url).model_copy(update={"max_in_flight": 1})
    # Given its engine, the app opens an unpooled asyncpg connection per unit: a pooled
    # asyncio connection belongs to the loop that opened it (this test is about admission).
    app = create_app(settings, engine=make_engine(database.url))

    async def burst() -> list[int]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            return [
                r.status_code for r in await asyncio.gather(*(c.get("/readyz") for _ in range(5)))
            ]

    try:
        assert asyncio.run(burst()) == [200] * 5
        assert asyncio.run(burst()) == [200] * 5
    finally:
        app.state.engine.dispose()


async def test_admission_gives_up_with_503_after_its_wait(database):
    import asyncio

    settings = make_settings(database.url).model_copy(
        update={"max_in_flight": 1, "admission_wait_seconds": 0.2}
    )
    app = create_app(settings)
    slow = APIRouter()
    release = asyncio.Event()

    @slow.get("/slow")
    async def hold() -> dict[str, str]:
        await release.wait()
        return {"ok": "yes"}

    app.include_router(slow)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as c:
            first = asyncio.create_task(c.get("/slow"))
            await asyncio.sleep(0.05)
            r = await c.get("/readyz")  # waits behind /slow, then gives up
            assert_problem(r, 503, "server_busy")
            assert r.headers["retry-after"] == "1" and "x-request-id" in r.headers
            assert (await c.get("/healthz")).status_code == 200  # liveness is never held back
            release.set()
            assert (await first).status_code == 200
            assert (await c.get("/readyz")).status_code == 200
    finally:
        await close(app)


async def test_hot_routes_answer_503_when_the_database_is_unreachable(
    client, app, db, settings, postgres_only
):
    """The hot routes' asyncpg engine: a database it cannot reach is a 503 with Retry-After,
    as on the routes on worker threads (asyncpg's own connect errors would be a 500)."""
    portal = headers_for(db, settings, "payment_portal")
    nowhere = make_async_engine(
        "postgresql://postgres@127.0.0.1:1/nowhere", poolclass=sa.pool.NullPool
    )
    assert nowhere is not None
    original = app.state.unit_factory
    app.state.unit_factory = make_unit_factory(nowhere)
    try:
        r = await client.get("/api/v1/citations/lookup", params={"number": "C1"}, headers=portal)
    finally:
        app.state.unit_factory = original
    assert_problem(r, 503, "database_unavailable")
    assert r.headers["retry-after"] == "1"


class _Orig(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("server said no")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "retry"),
    [
        ("40P01", True),  # deadlock
        ("40001", True),  # serialization failure
        ("55P03", True),  # lock not available
        ("57P01", True),  # admin shutdown
        ("08006", True),  # connection failure
        ("53300", True),  # too many connections
        ("23505", False),  # unique violation: the request's own fault
        ("42P01", False),  # undefined table: a bug
        (None, False),
    ],
)
def test_database_errors_worth_a_retry_by_sqlstate(sqlstate, retry):
    """asyncpg's errors reach the mapper as generic DBAPIErrors: their SQLSTATE decides."""
    assert transient(DBAPIError("SELECT 1", None, _Orig(sqlstate))) is retry


async def test_a_hot_route_connection_lost_while_pooled_fails_one_request(
    live_client, live_db, app, database, settings, postgres_only
):
    """The asyncpg pool, as the threaded one: a pooled connection the server dropped (a
    restart, a failover) fails the request that finds it with 503, and the pool recovers."""
    with live_db() as s:
        portal = bearer(token_for(s, settings, create_client(s, settings, "payment_portal")[0]))
    engine = make_async_engine(
        database.url + "?application_name=csoapi-hot-route", pool_size=1, max_overflow=0
    )
    assert engine is not None
    app.state.unit_factory = make_unit_factory(engine)  # live_db puts its own back afterwards
    url, params = "/api/v1/citations/lookup", {"number": "C1"}
    try:
        assert (await live_client.get(url, params=params, headers=portal)).status_code == 200
        with database.engine.connect() as admin:
            dropped = admin.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'csoapi-hot-route'"
                )
            ).scalar_one()
        assert dropped == 1
        first = await live_client.get(url, params=params, headers=portal)
        assert_problem(first, 503, "database_unavailable")
        assert first.headers["retry-after"] == "1"
        for _ in range(2):
            assert (await live_client.get(url, params=params, headers=portal)).status_code == 200
    finally:
        await engine.dispose()
