"""The application's PostgreSQL role (``csoapi migrate --app-role``, ``core.roles``): the API
served as that role does its work (calls, payments, custody, the audit trail), and the role
itself cannot update, delete or truncate the append-only tables, nor drop their triggers."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa

from csoapi.core.db import make_engine
from csoapi.core.roles import grant_app_role
from tests.calls.helpers import CALLS, call_body
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.conftest import PG_ADMIN_URL, make_settings, serving
from tests.evidence.helpers import custody, intake, make_staff, storage
from tests.factories import bearer, create_client, headers_for, token_for

APPEND_ONLY = {
    "audit_event",
    "audit_seal",
    "payment",
    "custody_event",
    "custody_log_entry",
    "custody_log_node",
    "custody_log_head",
}


@pytest.fixture
def app_role(database, postgres_only):
    role = f"csoapi_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        yield role, str(sa.make_url(database.url).set(username=role))
    finally:
        with psycopg.connect(database.url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_role_cannot_change_the_append_only_tables(database, clean_tables, app_role):
    role, url = app_role
    frozen = set(grant_app_role(database.url, role))
    assert frozen >= APPEND_ONLY
    engine = make_engine(url)
    try:
        with engine.connect() as conn:  # refused by privilege, not only by the triggers
            for table in sorted(frozen):
                for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                    held = conn.execute(
                        sa.text("SELECT has_table_privilege(:r, :t, :p)"),
                        {"r": role, "t": table, "p": privilege},
                    ).scalar()
                    assert held is False, (table, privilege)
                assert conn.execute(
                    sa.text("SELECT has_table_privilege(:r, :t, 'INSERT')"), {"r": role, "t": table}
                ).scalar()
        for table in sorted(frozen):
            column = _a_column(engine, table)
            for stmt in (  # our own table and column names
                f"UPDATE {table} SET {column} = {column}",  # noqa: S608
                f"DELETE FROM {table}",  # noqa: S608
                f"TRUNCATE {table}",
                f"ALTER TABLE {table} DISABLE TRIGGER ALL",
                f"DROP TRIGGER {table}_append_only ON {table}",
            ):
                with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError) as err:
                    conn.execute(sa.text(stmt))
                assert isinstance(err.value.orig, psycopg.errors.InsufficientPrivilege), stmt
        with engine.begin() as conn:  # what serving needs: ordinary tables read and written
            conn.execute(sa.text("UPDATE user_account SET failed_logins = failed_logins"))
            assert conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() >= 0
    finally:
        engine.dispose()


def _a_column(engine: sa.Engine, table: str) -> str:
    return next(iter(sa.inspect(engine).get_columns(table)))["name"]


async def test_the_api_served_as_the_role_does_its_work(database, db, settings, app_role):
    role, url = app_role
    grant_app_role(database.url, role)
    schedule(db, settings)
    staff = make_staff(db, settings)
    portal, _ = create_client(db, settings, "payment_portal")
    portal_h = bearer(token_for(db, settings, portal)) | {"Idempotency-Key": uuid.uuid4().hex}
    cso = headers_for(db, settings, "cso")
    db.commit()
    async with serving(make_settings(url)) as c:
        assert (await c.post(CALLS, json=call_body(), headers=cso)).status_code == 201
        cite = await c.post(CITATIONS, json=citation_body(plate="7ROLE01"), headers=cso)
        assert cite.status_code == 201, cite.text
        paid = await c.post(
            f"{CITATIONS}/{cite.json()['id']}/payments",
            json={"amount_cents": 100, "method": "card", "reference": "role-test"},
            headers=portal_h,
        )
        assert paid.status_code == 201, paid.text
        where = await storage(c, staff)
        item = await intake(c, staff, where["bins"][0])
        to = where["bins"][1]["id"]
        moved = await custody(c, staff, item, action="move", to_location=to, reason="Shelved")
        assert moved.status_code == 201, moved.text
        audit = await c.get("/api/v1/audit", headers=staff["sergeant"])
        assert audit.status_code == 200 and audit.json()["items"]


def test_a_role_that_owns_the_tables_or_does_not_exist_is_refused(database, postgres_only):
    owner = sa.make_url(database.url).username or "postgres"
    with pytest.raises(ValueError, match="owns the tables"):
        grant_app_role(database.url, owner)
    with pytest.raises(ValueError, match="no role"):
        grant_app_role(database.url, "no_such_role_here")
    with pytest.raises(ValueError, match="not a plain"):
        grant_app_role(database.url, 'x"; DROP TABLE audit_event; --')
