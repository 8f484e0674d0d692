"""Engines and session factories: plumbing, which knows nothing of requests or policies
(the unit of work that ends a request's transaction is ``core.unit``).

- PostgreSQL: an asyncpg engine for the app's units of work (``make_async_engine``), and a
  psycopg 3 engine (``make_engine``) for the command line, imports and migrations; a plain
  ``postgresql://`` URL serves both, libpq parameters included.
- SQLite: WAL, foreign keys on, a busy timeout, and every transaction opened with
  ``BEGIN IMMEDIATE`` so that writers queue instead of failing half-way (SQLite allows one
  writer at a time; taking the lock up front keeps read-then-write sequences such as
  numbering and balance checks correct, as row locks do on PostgreSQL).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from csoapi.core.config import Settings

T = TypeVar("T")
_INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def per_dialect(build: Callable[[Callable[..., Any]], T]) -> dict[str, T]:
    """A statement built once for each supported database from that database's ``insert``
    construct (the one that knows ON CONFLICT); run ``stmts[conn.dialect.name]``."""
    return {name: build(insert) for name, insert in _INSERTS.items()}


def normalize_url(url: str) -> str:
    """Accept the URL forms operators write and pick the project's driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql+psycopg://" + url[len("postgresql+psycopg2://") :]
    return url


def make_engine(url: str, settings: Settings | None = None, **overrides: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        pool: dict[str, Any] = {}
        database = sa.engine.make_url(url).database
        if settings and database not in (None, "", ":memory:") and "mode=memory" not in url:
            # a file database gets the same pool bound as PostgreSQL (memory ones: one conn)
            pool = {
                "pool_size": settings.database_pool_size,
                "max_overflow": settings.database_max_overflow,
            }
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            **(pool | overrides),
        )
        _sqlite_setup(engine)
        return engine
    return sa.create_engine(
        url,
        connect_args=_psycopg_timeouts(sa.make_url(url), settings),
        **_pool_args(settings, overrides),
    )


def _timeouts(settings: Settings | None) -> tuple[float, int]:
    """(connect timeout in seconds, statement timeout in milliseconds; 0 is none)."""
    if settings is None:
        return 0.0, 0
    statement_ms = round(settings.database_statement_timeout_seconds * 1000)
    return settings.database_connect_timeout_seconds, statement_ms


def _psycopg_timeouts(url: sa.URL, settings: Settings | None) -> dict[str, Any]:
    """libpq's ``connect_timeout`` (unless the URL sets its own) and the server-side
    ``statement_timeout``, sent in the start-up packet with any ``options`` the URL has:
    without them a database that accepts connections but never answers holds a request,
    and its admission slot, for as long as the kernel keeps the socket."""
    connect_s, statement_ms = _timeouts(settings)
    args: dict[str, Any] = {}
    if connect_s and "connect_timeout" not in url.query:
        args["connect_timeout"] = max(1, round(connect_s))  # libpq takes whole seconds
    if statement_ms:
        given = str(url.query.get("options", "") or "")
        args["options"] = f"{given} -c statement_timeout={statement_ms}".strip()
    return args


# libpq parameters only the client acts on. asyncpg would send them to the server as
# settings, which refuses them; ``connect_timeout`` becomes asyncpg's own ``timeout``.
_LIBPQ_CLIENT_ONLY = frozenset(
    {
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "channel_binding",
        "gssencmode",
        "hostaddr",
        "requiressl",
        "sslcompression",
        "sslsni",
        "require_auth",
        "load_balance_hosts",
        "fallback_application_name",
    }
)


def make_async_engine(
    url: str, settings: Settings | None = None, **overrides: Any
) -> AsyncEngine | None:
    """PostgreSQL only: the asyncpg engine every unit of work runs on (``core.unit``);
    ``None`` for SQLite, whose units run on a worker thread.

    asyncpg rather than psycopg's asyncio mode: its protocol is compiled, and in a same-run
    A/B it took the portal lookup from 2.63 to 2.16 ms of CPU (call intake 4.78 to 3.86 ms).
    Connections are opened from the operator's URL as a libpq-style DSN, which asyncpg parses
    itself (``sslmode``, ``application_name``, ``sslrootcert``...), so one URL serves both;
    the libpq parameters asyncpg has no use for are left out (``connect_timeout`` becomes its
    ``timeout``)."""
    url = normalize_url(url)
    if not url.startswith("postgresql"):
        return None
    dsn, connect_kw = asyncpg_connect_args(url, settings)
    return create_async_engine(
        "postgresql+asyncpg://",
        async_creator=functools.partial(_connect, dsn, **connect_kw),
        **_pool_args(settings, overrides),
    )


def asyncpg_connect_args(url: str, settings: Settings | None) -> tuple[str, dict[str, Any]]:
    """The DSN and keywords ``asyncpg.connect`` gets for ``url``: the libpq parameters it has
    no use for left out, ``connect_timeout`` (the URL's, else the setting's) as its
    ``timeout``, and ``statement_timeout`` among its start-up settings."""
    parsed = sa.make_url(normalize_url(url))
    query = {k: v for k, v in parsed.query.items() if k not in _LIBPQ_CLIENT_ONLY}
    connect_s, statement_ms = _timeouts(settings)
    timeout = float(str(query.pop("connect_timeout", "") or connect_s))  # libpq: 0 is no limit
    connect_kw: dict[str, Any] = {"timeout": timeout} if timeout > 0 else {}
    if statement_ms:
        connect_kw["server_settings"] = {"statement_timeout": str(statement_ms)}
    dsn = parsed.set(drivername="postgresql", query=query).render_as_string(hide_password=False)
    return dsn, connect_kw


async def _connect(dsn: str, **kw: Any) -> asyncpg.Connection:
    """``asyncpg.connect``, a failure to connect raised as the ``OperationalError`` psycopg's
    would be (SQLAlchemy passes asyncpg's own through as they are), so that a database that
    is down is a 503 ``database_unavailable`` on every route, not a 500 on the hot ones."""
    try:
        return await asyncpg.connect(dsn, **kw)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise OperationalError("connect", None, exc, connection_invalidated=True) from exc


def _pool_args(settings: Settings | None, overrides: dict[str, Any]) -> dict[str, Any]:
    pool_size = settings.database_pool_size if settings else 10
    max_overflow = settings.database_max_overflow if settings else 20
    kwargs: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_recycle": 1800,
        "pool_timeout": settings.database_pool_timeout_seconds if settings else 30,
        "pool_pre_ping": settings.database_pool_pre_ping if settings else False,
    }
    if overrides.get("poolclass") is sa.pool.NullPool:
        kwargs = {"pool_pre_ping": False}
    # A database error's text (logged with a 500) names the statement but never its values:
    # they are a request's personal data (a caller's name and phone) and secrets.
    kwargs["hide_parameters"] = True
    kwargs.update(overrides)
    return kwargs


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy (and our BEGIN below) own transactions instead of pysqlite.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Read-only work (health checks) may opt out of the write lock.
        read_only = conn.get_execution_options().get("csoapi_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_session_factory(engine_or_conn: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(
        bind=engine_or_conn, class_=Session, expire_on_commit=False, autoflush=False, **kwargs
    )


def make_unit_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for ``run_unit``: the work inside sees an ordinary (sqlmodel) ``Session``."""
    return async_sessionmaker(
        engine, sync_session_class=Session, expire_on_commit=False, autoflush=False
    )
