"""The audit trail's hash chain (``core.audit_chain``): rows are sealed after their requests,
in order, and ``verify`` finds a changed row, a missing seal and a broken link; the CLI says
so with its exit code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from csoapi.cli import app as cli
from csoapi.core.audit import AuditEvent
from csoapi.core.audit_chain import GENESIS, AuditSeal, row_hash, seal_pass, verify
from csoapi.core.db import make_session_factory
from tests.audit.helpers import migrated_with_an_admin, some_audit_rows, tamper


async def test_rows_are_sealed_in_order_and_verify(client, db, settings, database):
    await some_audit_rows(client, db, settings)
    sessions = make_session_factory(database.engine)
    with sessions() as s:
        before = verify(s)
    assert before.ok and before.sealed == 0 and before.unsealed > 0
    sealed = seal_pass(sessions)
    assert sealed == before.unsealed
    with sessions() as s:
        after = verify(s)
        marks = s.scalars(sa.select(AuditSeal).order_by(AuditSeal.seq)).all()
    assert after.ok and (after.sealed, after.unsealed) == (sealed, 0)
    assert marks[0].prev_hash == GENESIS and [m.seq for m in marks] == list(range(1, sealed + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(marks, marks[1:], strict=False))
    await some_audit_rows(client, db, settings, 1)  # later rows: sealed by the next pass
    assert seal_pass(sessions) > 0
    with sessions() as s:
        assert verify(s).ok and verify(s).unsealed == 0


async def test_a_changed_row_is_found(client, db, settings, database):
    await some_audit_rows(client, db, settings)
    sessions = make_session_factory(database.engine)
    seal_pass(sessions)
    with sessions() as s:
        second = s.scalars(sa.select(AuditSeal).where(AuditSeal.seq == 2)).one()
    changed = f"UPDATE audit_event SET outcome = 'denied' WHERE id = {second.audit_id}"  # noqa: S608
    tamper(database, changed)
    with sessions() as s:
        verdict = verify(s)
    assert (verdict.broken_at, verdict.reason) == (2, f"audit row {second.audit_id} was changed")


async def test_a_missing_seal_and_a_broken_link_are_found(client, db, settings, database):
    await some_audit_rows(client, db, settings)
    sessions = make_session_factory(database.engine)
    seal_pass(sessions)
    tamper(database, "DELETE FROM audit_seal WHERE seq = 2")
    with sessions() as s:
        assert verify(s).broken_at == 2 and "missing" in (verify(s).reason or "")
    tamper(database, "UPDATE audit_seal SET seq = 2, prev_hash = '" + "f" * 64 + "' WHERE seq = 3")
    with sessions() as s:
        assert verify(s).reason == "does not link to the seal before it"


@pytest.mark.parametrize(
    "field, value",
    [("action", "call.update"), ("actor_id", "x"), ("outcome", "denied"), ("detail", {"a": 2}),
     ("at", datetime(2026, 1, 1, tzinfo=UTC)), ("id", 8), ("source_ip", "10.0.0.9")],
)  # fmt: skip
def test_every_field_is_in_the_hash(field, value):
    row = AuditEvent(id=7, at=datetime(2026, 1, 2, tzinfo=UTC), action="call.create",
                     outcome="success", detail={"a": 1})  # fmt: skip
    before = row_hash(GENESIS, row)
    setattr(row, field, value)
    assert row_hash(GENESIS, row) != before
    assert row_hash("1" * 64, row) != row_hash(GENESIS, row)


def test_the_cli_seals_and_verifies(cli_env):
    url = cli_env
    runner = CliRunner()
    migrated_with_an_admin(runner, cli)
    sealed = runner.invoke(cli, ["audit", "seal"])
    assert sealed.exit_code == 0 and "sealed 1 audit rows" in sealed.output, sealed.output
    good = runner.invoke(cli, ["audit", "verify"])
    assert good.exit_code == 0 and "1 rows sealed, 0 not yet" in good.output, good.output
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET action = 'user.delete'"))
    engine.dispose()
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1 and "broken at seal 1" in bad.output, bad.output
