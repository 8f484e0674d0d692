"""PostgreSQL roles: the owner migrates, the application serves. ``grant_app_role`` gives the
role ``csoapi serve`` connects as what serving needs and nothing more: every table to read and
write, except that the append-only tables (the audit trail, payments, custody events and the
custody transparency log: those whose ``*_append_only`` trigger refuses changes) take rows and
give them back but cannot be updated, deleted or truncated, and the role owns nothing, so it
can drop no trigger and alter no table."""

from __future__ import annotations

import re

import sqlalchemy as sa

from csoapi.core.db import normalize_url

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_APPEND_ONLY = sa.text(
    "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND t.tgname LIKE '%\\_append\\_only' ORDER BY 1"
)


def append_only_tables(conn: sa.Connection) -> list[str]:
    return list(conn.execute(_APPEND_ONLY).scalars())


def grant_app_role(database_url: str, role: str) -> list[str]:
    """Grant ``role`` (which must exist, and must not own the tables) what serving needs; the
    append-only tables, which it may read and add to only. Run again after each migration
    (``csoapi migrate --app-role``): new tables get their grants then. Returns those tables."""
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(f"not a plain PostgreSQL role name: {role!r}")
    engine = sa.create_engine(normalize_url(database_url))
    if engine.dialect.name != "postgresql":
        engine.dispose()
        raise ValueError("application roles are a PostgreSQL feature (SQLite has no roles)")
    try:
        with engine.begin() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            if exists.first() is None:
                raise ValueError(f"no role {role!r}: create it first (CREATE ROLE … LOGIN)")
            owner = conn.execute(
                sa.text(
                    "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tableowner = :r LIMIT 1"
                ),
                {"r": role},
            )
            if owner.first() is not None:
                raise ValueError(f"{role!r} owns the tables: serve as another role than migrate")
            frozen = append_only_tables(conn)
            who, schema = f'"{role}"', _schema(conn)
            for stmt in (
                f"GRANT USAGE ON SCHEMA {schema} TO {who}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
                f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {who}",
                *(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{t}" FROM {who}' for t in frozen),
            ):
                conn.execute(sa.text(stmt))
        return frozen
    finally:
        engine.dispose()


def _schema(conn: sa.Connection) -> str:
    name = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    return f'"{name}"'
