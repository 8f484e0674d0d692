"""Audit retention (``core.audit_retention``, ``csoapi audit purge``): only rows past the
retention period go, never one younger than the policy's floor (365 days, from its data
file), only a prefix of the hash chain goes, and what is left still verifies from the anchor
the purge recorded; a chain cut without a purge, or a forged anchor, does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from csoapi.cli import app as cli
from csoapi.core.audit import AuditEvent
from csoapi.core.audit_chain import PURGE_ACTION, AuditSeal, seal_pass, verify
from csoapi.core.audit_retention import POLICY, RetentionTooShort, cutoff, load_policy, purge
from csoapi.core.db import make_session_factory
from csoapi.core.models import utcnow
from tests.audit.helpers import migrated_with_an_admin, some_audit_rows, tamper
from tests.factories import ctx

FLOOR = POLICY.minimum_days


def test_the_floor_is_the_policy_files_one_year():
    assert load_policy().minimum_days == FLOOR == 365


@given(
    keep=st.integers(min_value=-10_000, max_value=100_000),
    now=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2200, 1, 1),
                     timezones=st.just(UTC)),
)  # fmt: skip
def test_no_cutoff_is_ever_younger_than_the_floor(keep, now):
    if keep < FLOOR:
        with pytest.raises(RetentionTooShort, match=str(FLOOR)):
            cutoff(keep, now)
    else:
        assert cutoff(keep, now) <= now - timedelta(days=FLOOR)


async def _rows_aged(client, db, settings, database, ages_days: list[int]) -> list[int]:
    """One audit row per age (calls made through the API), dated ``ages_days`` ago before
    sealing, as if written then; the rows the setup wrote before them (the users) are dated
    as the first. All ids in order, the setup's first."""
    await some_audit_rows(client, db, settings, len(ages_days))
    with database.engine.connect() as conn:
        ids = list(conn.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))
    setup = len(ids) - len(ages_days)
    now = utcnow()
    for row_id, age in zip(ids, [ages_days[0]] * setup + ages_days, strict=True):
        at = now - timedelta(days=age)
        tamper(database, sa.update(AuditEvent).where(AuditEvent.id == row_id).values(at=at))
    return ids


def _audit_ids(sessions) -> list[int]:
    with sessions() as s:
        return list(s.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


async def test_a_purge_removes_the_old_prefix_and_the_rest_verifies(client, db, settings, database):
    ids = await _rows_aged(client, db, settings, database, [900, 500, 366, 364, 10])
    sessions = make_session_factory(database.engine)
    with sessions() as s:
        done = purge(s, ctx(settings), keep_days=FLOOR, now=utcnow())
        s.commit()
    old = len(ids) - 2  # all but the 364- and the 10-day-old rows
    assert done is not None and (done.rows, done.through_seq) == (old, old)
    left = _audit_ids(sessions)
    assert left[:2] == ids[old:]  # the 364-day-old row stays, and everything after it
    with sessions() as s:
        record = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == PURGE_ACTION)).one()
        verdict = verify(s)
    assert record.detail["through_seq"] == old and record.detail["rows"] == old
    assert verdict.ok and verdict.sealed == len(left) and verdict.unsealed == 0
    with sessions() as s:  # nothing more is old enough: a second purge removes nothing
        assert purge(s, ctx(settings), keep_days=FLOOR, now=utcnow()) is None


async def test_only_a_prefix_goes_a_young_row_shields_older_ones_after_it(
    client, db, settings, database
):
    ids = await _rows_aged(client, db, settings, database, [800, 30, 700])
    sessions = make_session_factory(database.engine)
    with sessions() as s:
        done = purge(s, ctx(settings), keep_days=FLOOR, now=utcnow())
        s.commit()
    assert done is not None and done.rows == len(ids) - 2  # the setup's and the first call's
    assert _audit_ids(sessions)[:2] == ids[-2:]
    with sessions() as s:
        assert verify(s).ok


async def test_a_longer_retention_keeps_more(client, db, settings, database):
    ids = await _rows_aged(client, db, settings, database, [900, 500])
    sessions = make_session_factory(database.engine)
    with sessions() as s:
        done = purge(s, ctx(settings), keep_days=600, now=utcnow())
        s.commit()
    assert done is not None and done.rows == len(ids) - 1
    with sessions() as s, pytest.raises(RetentionTooShort):
        purge(s, ctx(settings), keep_days=FLOOR - 1, now=utcnow())


async def test_a_chain_cut_without_a_purge_or_with_a_forged_anchor_is_found(
    client, db, settings, database
):
    await _rows_aged(client, db, settings, database, [900, 800, 10])
    sessions = make_session_factory(database.engine)
    with sessions() as s:
        purge(s, ctx(settings), keep_days=FLOOR, now=utcnow())
        s.commit()
    with sessions() as s:
        first = s.scalars(sa.select(AuditSeal).order_by(AuditSeal.seq).limit(1)).one()
    tamper(database, f"DELETE FROM audit_seal WHERE seq = {first.seq}")  # noqa: S608
    with sessions() as s:
        verdict = verify(s)
    assert not verdict.ok and "no purge removed them" in (verdict.reason or "")


async def test_a_forged_anchor_is_found(client, db, settings, database):
    await _rows_aged(client, db, settings, database, [900, 10])
    sessions = make_session_factory(database.engine)
    with sessions() as s:
        purge(s, ctx(settings), keep_days=FLOOR, now=utcnow())
        s.commit()
    with sessions() as s:
        first = s.scalar(sa.select(sa.func.min(AuditSeal.seq)))
    forged = "UPDATE audit_seal SET prev_hash = '" + "e" * 64 + f"' WHERE seq = {first}"  # noqa: S608
    tamper(database, forged)
    with sessions() as s:
        verdict = verify(s)
    assert (verdict.broken_at, verdict.reason) == (first, "does not link to the purge's anchor")


async def test_the_owner_cannot_delete_audit_rows_outside_a_purge(
    postgres_only, client, db, settings, database
):
    await some_audit_rows(client, db, settings, 1)
    seal_pass(make_session_factory(database.engine))
    for table in ("audit_event", "audit_seal"):
        refused = pytest.raises(sa.exc.DBAPIError, match="append-only")
        with refused, database.engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608
        refused = pytest.raises(sa.exc.DBAPIError, match="append-only")
        with refused, database.engine.begin() as conn:  # not even with the purge's flag
            conn.execute(sa.text("SELECT set_config('csoapi.audit_purge', 'on', true)"))
            conn.execute(sa.text(f"UPDATE {table} SET {_a_column(table)}"))  # noqa: S608


def _a_column(table: str) -> str:
    return "outcome = 'denied'" if table == "audit_event" else "prev_hash = prev_hash"


def test_the_cli_refuses_a_short_retention_and_purges_a_long_one(cli_env):
    url = cli_env
    runner = CliRunner()
    migrated_with_an_admin(runner, cli)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(AuditEvent).values(at=utcnow() - timedelta(days=400)))
    engine.dispose()
    short = runner.invoke(cli, ["audit", "purge", "--keep-days", "90"])
    assert short.exit_code == 1 and "at least 365 days" in short.output, short.output
    dry = runner.invoke(cli, ["audit", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "would remove 1 audit rows" in dry.output, dry.output
    done = runner.invoke(cli, ["audit", "purge"])
    assert done.exit_code == 0 and "removed 1 audit rows" in done.output, done.output
    good = runner.invoke(cli, ["audit", "verify"])
    assert good.exit_code == 0 and "1 rows sealed" in good.output, good.output
