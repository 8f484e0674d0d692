"""Alembic is the only way the schema is made: up, down, up again, and no drift from the models."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from csoapi.core.db import make_engine
from csoapi.core.migrate import downgrade, head_revisions, upgrade
from csoapi.registry import metadata
from tests.conftest import PG_ADMIN_URL, PG_SKIP_REASON, _pg_url


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(PG_SKIP_REASON is not None, reason=PG_SKIP_REASON or ""),
        ),
    ]
)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"csoapi_mig_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database):
    url = empty_database
    upgrade(url)
    assert _tables(url) >= {t.name for t in metadata.sorted_tables}
    assert _diff(url) == []
    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}
    upgrade(url)
    assert _diff(url) == []
    engine = make_engine(url)
    with engine.connect() as conn:
        current = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    engine.dispose()
    assert current == set(head_revisions(url))


def _counters(url: str) -> dict[tuple[str, str], int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name, period, value FROM number_counter"))
            return {(n, p): int(v) for n, p, v in rows}
    finally:
        engine.dispose()


def test_two_digit_counters_merge_at_their_larger_value(empty_database):
    """0008: the call and report counters of 1926 and 2026 both made numbers '26-…'; they
    become one counter '26' at the larger value; citation counters (four digits) stay."""
    url = empty_database
    upgrade(url, "0007")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO number_counter (name, period, value) VALUES (:n, :p, :v)"),
            [
                {"n": "call", "p": "1926", "v": 3},
                {"n": "call", "p": "2026", "v": 10},
                {"n": "call", "p": "2025", "v": 8},
                {"n": "report", "p": "1999", "v": 4},
                {"n": "citation", "p": "2026", "v": 7},
            ],
        )
    engine.dispose()
    upgrade(url)
    assert _counters(url) == {
        ("call", "26"): 10,
        ("call", "25"): 8,
        ("report", "99"): 4,
        ("citation", "2026"): 7,
    }
    downgrade(url, "0007")
    assert _counters(url)[("call", "2026")] == 10
