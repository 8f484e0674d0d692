"""Inserts sent together (core.writes): the rows arrive, in order, only when the block ends
well; on PostgreSQL as one statement."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from csoapi.core import audit, events, writes
from csoapi.core.audit import AuditEvent
from csoapi.core.context import RequestContext
from csoapi.core.events import OutboxEvent
from csoapi.core.models import utcnow


def _ctx(settings, request_id: str) -> RequestContext:
    return RequestContext(principal=None, request_id=request_id, source_ip=None, settings=settings)


def _audit(db, settings, request_id: str, action: str) -> None:
    audit.record(db, _ctx(settings, request_id), action, entity_type="test", entity_id=action)


def _event(db, entity_id: str) -> None:
    events.append(
        db, "test.done", entity_type="test", entity_id=entity_id, read_scope="x", payload={}
    )


def _actions(db, request_id: str) -> list[str]:
    stmt = sa.select(AuditEvent.action).where(AuditEvent.request_id == request_id)
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def _events(db, entity_id: str) -> list[OutboxEvent]:
    return list(db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == entity_id)))


def test_rows_wait_for_the_end_of_the_block_and_keep_their_order(db, settings, database):
    rid, eid = f"w-{uuid.uuid4()}", str(uuid.uuid4())
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        with writes.together(db):
            _audit(db, settings, rid, "first")
            _event(db, eid)
            with writes.together(db):  # an inner block adds to the outer one
                _audit(db, settings, rid, "second")
            _audit(db, settings, rid, "third")
            sent = len(statements)
            assert _actions(db, rid) == [] and _events(db, eid) == []
        written = len(statements) - sent - 2  # minus the two reads inside the block
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    assert _actions(db, rid) == ["first", "second", "third"]
    (event,) = _events(db, eid)
    if database.is_postgres:
        # audit + event in one statement; the second audit row starts the next, and so on
        assert written == 3
        assert event.txid > 0  # the outbox's own txid expression still applies
    else:
        assert written == 4


def test_an_error_in_the_block_drops_its_rows(db, settings):
    rid = f"w-{uuid.uuid4()}"
    with pytest.raises(RuntimeError), writes.together(db):
        _audit(db, settings, rid, "lost")
        raise RuntimeError("the work failed")
    _audit(db, settings, rid, "after")  # and the session is back to writing at once
    assert _actions(db, rid) == ["after"]


def test_a_row_leaving_out_a_defaulted_column_is_refused(db, postgres_only):
    # outbox_event.event_id has a Python-side default, which SQLAlchemy computes only for a
    # statement's own INSERT; inside a CTE it would be NULL, so it must be given.
    append = sa.insert(OutboxEvent.__table__)  # type: ignore[attr-defined]
    row = {
        "type": "t",
        "entity_type": "test",
        "entity_id": "x",
        "occurred_at": utcnow(),
        "read_scope": "x",
        "payload": {},
    }
    with pytest.raises(ValueError, match="event_id"), writes.together(db):
        writes.insert(db, append, row)
        writes.insert(db, sa.insert(AuditEvent.__table__), {"action": "x"})  # type: ignore[attr-defined]
