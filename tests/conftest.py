"""Test harness.

- Every database test runs twice: on a fresh SQLite file and on a fresh PostgreSQL database
  (``CSOAPI_TEST_DATABASE_URL``, else the local server as user postgres). Both are created
  for this run, migrated with Alembic, and dropped at the end. PostgreSQL unreachable: its
  half is skipped with the reason in the summary.
- ``client``: the real app over httpx/ASGI on the production road (``run_unit``: asyncpg on
  the event loop on PostgreSQL, a worker thread on SQLite); requests really commit, and every
  table is put back to what the migrations left after each test, so tests never see each
  other. ``db`` arranges and checks rows beside it; ``live_client`` is the same client.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from csoapi.core.config import Environment, Settings, get_settings
from csoapi.core.db import (
    make_async_engine,
    make_engine,
    make_session_factory,
    make_unit_factory,
    normalize_url,
)
from csoapi.core.events import OutboxEvent
from csoapi.core.migrate import upgrade
from csoapi.features import event_catalogue
from csoapi.main import create_app
from csoapi.registry import metadata

PG_ADMIN_URL = os.environ.get(
    "CSOAPI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SHARED = Path(__file__).resolve().parents[2] / "shared"
# Rows a migration seeds (code tables) survive the live tests' clean-up.
PRESERVED_TABLES: set[str] = {"alembic_version", "call_type", "disposition", "offense"}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _pg_reason() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


PG_SKIP_REASON = _pg_reason()


def _pg_url(dbname: str) -> str:
    return str(sa.make_url(normalize_url(PG_ADMIN_URL)).set(database=dbname))


@dataclass
class Database:
    kind: str
    url: str
    engine: sa.Engine

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgresql"


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": Environment.test,
        "database_url": url,
        "jwt_secret": "test-signing-key-" + "k" * 40,
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "log_level": "WARNING",
        # One test client makes thousands of requests a minute from one address; the
        # per-client limit is tested on an app of its own (tests/platform/test_client_rate.py).
        "client_rate_per_minute": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _create_database(kind: str, tmp: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'csoapi-test.db'}", None
    name = f"csoapi_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _pg_url(name), name


def _drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    scope="session",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(PG_SKIP_REASON is not None, reason=PG_SKIP_REASON or ""),
        ),
    ],
)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    kind = request.param
    url, pg_name = _create_database(kind, tmp_path_factory.mktemp(kind))
    upgrade(url)
    engine = make_engine(url)
    try:
        yield Database(kind, url, engine)
    finally:
        engine.dispose()
        if pg_name:
            _drop_database(pg_name)


@pytest.fixture(scope="session")
def settings(database: Database) -> Settings:
    return make_settings(database.url)


@pytest.fixture(scope="session")
def app(database: Database, settings: Settings):
    return create_app(settings, engine=database.engine)


def empty_tables(engine: sa.Engine, seeded: dict[str, list[dict[str, Any]]]) -> None:
    """Every table back to what the migrations left: emptied, the seeded rows put back."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        for table in metadata.sorted_tables:
            if seeded.get(table.name):
                conn.execute(table.insert(), seeded[table.name])


def uncatalogued(engine: sa.Engine) -> list[str]:
    """Every event written that the catalogue (``csoapi.features.event_catalogue``, the
    OpenAPI document's ``webhooks``) does not describe exactly: an unknown type, another read
    scope, or data its schema refuses."""
    catalogue, problems = event_catalogue(), []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(OutboxEvent.type, OutboxEvent.read_scope, OutboxEvent.payload)
        )
        for type_, scope, payload in rows:
            entry = catalogue.get(type_)
            if entry is None:
                problems.append(f"{type_}: not in the event catalogue")
            elif scope not in entry.scopes:
                problems.append(f"{type_}: read with {scope}, catalogued as {entry.scopes}")
            else:
                try:
                    entry.data.model_validate(payload)
                except ValueError as exc:
                    problems.append(f"{type_}: {exc}")
    return problems


@pytest.fixture
def clean_tables(database: Database, request: pytest.FixtureRequest) -> Iterator[None]:
    """Requests really commit: every table is put back to what the migrations left, before
    and after each test. In between, every event the test wrote must match the event
    catalogue (unless the test is marked ``synthetic_events``: it writes raw events to test
    the log itself)."""
    empty_tables(database.engine, seeded_rows(database))
    try:
        yield
        synthetic = request.node.get_closest_marker("synthetic_events") is not None
        problems = [] if synthetic else uncatalogued(database.engine)
        assert not problems, "events outside the catalogue:\n" + "\n".join(problems[:10])
    finally:
        empty_tables(database.engine, seeded_rows(database))


_SEEDED: dict[str, dict[str, list[dict[str, Any]]]] = {}


def seeded_rows(database: Database) -> dict[str, list[dict[str, Any]]]:
    if database.url not in _SEEDED:
        with database.engine.connect() as conn:
            _SEEDED[database.url] = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                for t in metadata.sorted_tables
                if t.name in PRESERVED_TABLES and t.name != "alembic_version"
            }
    return _SEEDED[database.url]


@pytest.fixture
def live_db(database: Database, clean_tables) -> sessionmaker[Session]:
    """Sessions on the real engine, for arranging and checking rows (commit to be seen)."""
    return make_session_factory(database.engine)


@pytest.fixture
def db(database: Database, clean_tables) -> Iterator[Session]:
    """A session on the real engine, for arranging and checking rows directly. Its
    transactions begin deferred on SQLite (no write lock held while the test reads), and the
    test client ends whatever it has open before each request, so that the app sees what the
    test arranged and the test then sees what the app committed."""
    conn = database.engine.connect().execution_options(csoapi_read_only=True)
    session = make_session_factory(conn)()
    try:
        yield session
    finally:
        session.close()
        conn.close()


def _transport(app: Any) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.7", 5555))


@pytest.fixture
async def client(
    app, database: Database, settings: Settings, db
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over httpx on the production road: units of work over asyncpg on the
    event loop on PostgreSQL (an engine of this test's own: a pooled asyncio connection
    belongs to the loop it opened on, and each test has its own loop), on a worker thread on
    SQLite. Before each request the ``db`` session ends its transaction, so the app sees what
    the test arranged and the test then sees what the app committed."""

    async def settle(_request: httpx.Request) -> None:
        db.commit()

    original = app.state.unit_factory
    engine = make_async_engine(database.url, settings)
    app.state.unit_factory = make_unit_factory(engine) if engine else None
    try:
        async with httpx.AsyncClient(
            transport=_transport(app),
            base_url="http://testserver",
            event_hooks={"request": [settle]},
        ) as c:
            yield c
    finally:
        app.state.unit_factory = original
        if engine is not None:
            await engine.dispose()


@pytest.fixture
def live_client(client) -> httpx.AsyncClient:
    """The same client (every test's requests really commit); the name concurrency tests use."""
    return client


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """The environment of a `csoapi` command run in the test (typer's CliRunner): a SQLite
    file of its own, test settings; its URL."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CSOAPI_DATABASE_URL", url)
    monkeypatch.setenv("CSOAPI_ENV", "test")
    monkeypatch.setenv("CSOAPI_JWT_SECRET", "cli-test-" + "s" * 40)
    monkeypatch.setenv("CSOAPI_PASSWORD_HASH_MEMORY_KIB", "1024")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def postgres_only(database: Database) -> None:
    if not database.is_postgres:
        pytest.skip("meaningful only on PostgreSQL (row locks, concurrent writers, triggers)")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = SHARED / "data"
    if not folder.is_dir():
        pytest.skip(f"shared data folder {folder} is absent (a user's clone has no ../shared)")
    return folder


@asynccontextmanager
async def serving(
    settings: Settings, engine: sa.Engine | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (other settings, another database URL or role) on the production
    road, over httpx: its asyncpg units on PostgreSQL. ``engine``: the sync engine to share
    (kept open); without one the app gets its own, disposed at the end with the async one."""
    own = engine is None
    app = create_app(settings, engine=engine or make_engine(settings.database_url, settings))
    async_engine = make_async_engine(settings.database_url, settings)
    app.state.unit_factory = make_unit_factory(async_engine) if async_engine else None
    try:
        async with httpx.AsyncClient(transport=_transport(app), base_url="http://testserver") as c:
            yield c
    finally:
        if async_engine is not None:
            await async_engine.dispose()
        if own:
            app.state.engine.dispose()
