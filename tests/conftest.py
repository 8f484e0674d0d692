"""Test harness.

- Every database test runs twice: on a fresh SQLite file and on a fresh PostgreSQL database
  (``CSOAPI_TEST_DATABASE_URL``, else the local server as user postgres). Both are created
  for this run, migrated with Alembic, and dropped at the end. PostgreSQL unreachable: its
  half is skipped with the reason in the summary.
- ``client``: the real app over httpx/ASGI; each test runs inside an outer transaction that
  is rolled back at the end (requests commit to savepoints), so tests never see each other.
- ``live_client``: the real app on its real engine (requests really commit), for
  concurrency tests and, on PostgreSQL, the hot routes' asyncpg units of work (``run_unit``);
  the tables are emptied afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from csoapi.core.config import Environment, Settings
from csoapi.core.db import (
    make_async_engine,
    make_engine,
    make_session_factory,
    make_unit_factory,
    normalize_url,
)
from csoapi.core.migrate import upgrade
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


@pytest.fixture
def connection(database: Database, app) -> Iterator[sa.Connection]:
    """The outer transaction every request of the test joins (rolled back at the end)."""
    conn = database.engine.connect()
    outer = conn.begin()
    original = app.state.session_factory
    app.state.session_factory = sessionmaker(
        bind=conn,
        class_=Session,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    try:
        yield conn
    finally:
        app.state.session_factory = original
        outer.rollback()
        conn.close()


@pytest.fixture
def db(connection: sa.Connection, app) -> Iterator[Session]:
    """A session in the test's transaction, for arranging and checking rows directly."""
    with app.state.session_factory() as session:
        yield session


def _transport(app: Any) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.7", 5555))


@pytest.fixture
async def client(app, connection) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=_transport(app), base_url="http://testserver") as c:
        yield c


def empty_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in reversed(metadata.sorted_tables):
            if table.name not in PRESERVED_TABLES:
                conn.execute(table.delete())


@pytest.fixture
def live_db(database: Database, app) -> Iterator[sessionmaker[Session]]:
    """Real commits on the real engine; tables emptied afterwards. On PostgreSQL the hot
    routes' units of work run on asyncpg, as in production (unpooled: each test
    has its own event loop, and a pooled asyncio connection belongs to the loop it opened on)."""
    empty_tables(database.engine)
    factory = make_session_factory(database.engine)
    original = app.state.session_factory, app.state.unit_factory
    app.state.session_factory = factory
    units = make_async_engine(database.url, poolclass=sa.pool.NullPool)
    app.state.unit_factory = make_unit_factory(units) if units else None
    try:
        yield factory
    finally:
        app.state.session_factory, app.state.unit_factory = original
        empty_tables(database.engine)


@pytest.fixture
async def live_client(app, live_db) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=_transport(app), base_url="http://testserver") as c:
        yield c


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
