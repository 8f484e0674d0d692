"""audit retention: the audit tables' append-only triggers let a retention purge delete

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 20:00:00+00:00

``csoapi audit purge`` (``core/audit_retention.py``) removes the oldest part of the audit
trail once it is past the retention period. On PostgreSQL the rows of ``audit_event`` and
``audit_seal`` stay refused to UPDATE, always, and to DELETE except in a transaction that has
set ``csoapi.audit_purge`` (the purge does, as the tables' owner; the serving role has no
DELETE privilege on these tables at all). TRUNCATE stays refused.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURGE_OR_REFUSE = """
CREATE OR REPLACE FUNCTION csoapi_refuse_change_but_purge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('csoapi.audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$
"""
TABLES = ("audit_event", "audit_seal")


def _row_trigger(table: str, function: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PURGE_OR_REFUSE)
    for table in TABLES:
        _row_trigger(table, "csoapi_refuse_change_but_purge")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        _row_trigger(table, "csoapi_refuse_change")
    op.execute("DROP FUNCTION IF EXISTS csoapi_refuse_change_but_purge()")
