"""What the audit-trail tests share: audit rows made through the API, and changes behind the
tables' triggers that only someone past the application could make."""

from __future__ import annotations

import sqlalchemy as sa

from tests.calls.helpers import CALLS, call_body
from tests.factories import headers_for


async def some_audit_rows(client, db, settings, n: int = 3) -> None:
    cso = headers_for(db, settings, "cso")
    for _ in range(n):
        assert (await client.post(CALLS, json=call_body(), headers=cso)).status_code == 201


def tamper(database, stmt: str | sa.Executable) -> None:
    """Change rows behind their triggers (PostgreSQL: as a superuser, replica mode)."""
    with database.engine.begin() as conn:
        if database.is_postgres:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.execute(sa.text(stmt) if isinstance(stmt, str) else stmt)


def migrated_with_an_admin(runner, cli) -> None:
    """``csoapi migrate``, then one administrator made: the database a CLI test starts from
    (the ``cli_env`` fixture's), its audit trail one row."""
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    made = runner.invoke(cli, ["users", "create", "--username", "a.admin", "--role", "admin"])
    assert made.exit_code == 0, made.output
