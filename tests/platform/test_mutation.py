"""The one ceremony of a change (core.mutation): the row locked and its ETag checked before
any rule runs; then stamp, version, activity line, audit row and events, in that order,
each event with the row as it now stands."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.errors import NotFound, PreconditionFailed, PreconditionRequired
from csoapi.core.events import OutboxEvent
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.violations.models import Violation
from csoapi.violations.repository import ViolationRepository
from tests.factories import ctx


def _payload(v: Violation) -> dict:
    return {"code": v.code, "version": v.version}


THING = Entity("thing", "things:read", _payload)


@pytest.fixture
def row(db) -> Violation:
    v = Violation(
        code=f"T{uuid.uuid4().hex[:6]}",
        description="test",
        fine_cents=100,
        effective_from=date(2026, 1, 1),
    )
    db.add(v)
    db.commit()
    return v


def changes(db, settings, log=None) -> Changes[Violation]:
    repo = ViolationRepository(db)
    lock = lambda key: repo.get_or_404(key, for_update=True)  # noqa: E731
    return Changes(db, ctx(settings), THING, lock=lock, log=log)


def audit_rows(db, entity_id) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).where(AuditEvent.entity_id == str(entity_id))
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def events_of(db, entity_id) -> list[OutboxEvent]:
    stmt = sa.select(OutboxEvent).where(OutboxEvent.entity_id == str(entity_id))
    return list(db.scalars(stmt.order_by(OutboxEvent.id)))


def test_begin_refuses_a_stale_or_missing_etag_before_any_rule(db, settings, row):
    with pytest.raises(PreconditionFailed):
        changes(db, settings).begin(row.id, '"7"')
    with pytest.raises(PreconditionRequired):
        changes(db, settings).begin(row.id, None, required=True)
    with pytest.raises(NotFound):
        changes(db, settings).begin(uuid.uuid4())
    assert changes(db, settings).begin(row.id).row is row  # no If-Match, not required: as is
    assert changes(db, settings).begin(row.id, '"1"', required=True).row.version == 1
    assert audit_rows(db, row.id) == [] and events_of(db, row.id) == []


def test_done_stamps_records_and_announces_the_row_as_it_now_stands(db, settings, row):
    before = row.updated_at
    logged: list[tuple] = []
    change = changes(db, settings, log=lambda r, **kw: logged.append((r.version, kw))).begin(
        row.id, '"1"'
    )
    change.row.description = "changed"
    other = uuid.uuid4()
    done = change.done(
        "thing.change",
        detail={"fields": ["description"]},
        activity={"kind": "changed"},
        events=[
            Event("thing.changed", {"fields": ["description"]}),
            Event("other.noted", entity_type="other", entity_id=other, payload={"x": 1}),
        ],
    )
    assert done is row and row.version == 2 and row.updated_at > before
    assert logged == [(2, {"kind": "changed"})]  # the line is written after the stamp
    (audited,) = audit_rows(db, row.id)
    assert (audited.action, audited.entity_type, audited.detail) == (
        "thing.change",
        "thing",
        {"fields": ["description"]},
    )
    (event,) = events_of(db, row.id)
    assert (event.type, event.entity_type, event.read_scope) == (
        "thing.changed",
        "thing",
        "things:read",
    )
    assert event.payload == {"code": row.code, "version": 2, "fields": ["description"]}
    (noted,) = events_of(db, other)
    assert (noted.type, noted.entity_type, noted.read_scope, noted.payload) == (
        "other.noted",
        "other",
        "things:read",
        {"x": 1},
    )
    db.expire_all()
    assert db.get(Violation, row.id).description == "changed"  # flushed with the change


def test_an_append_under_the_lock_leaves_the_row_as_it_was(db, settings, row):
    changes(db, settings).begin(row.id).done("thing.note", stamp=False)
    assert row.version == 1
    assert [a.action for a in audit_rows(db, row.id)] == ["thing.note"]


def test_a_feature_without_a_log_or_payload_cannot_pretend_to_have_one(db, settings, row):
    bare = Changes(db, ctx(settings), Entity("bare"), lock=lambda key: row)
    with pytest.raises(TypeError, match="activity"):
        bare.begin(row.id).done("bare.change", activity={"kind": "x"})
    with pytest.raises(TypeError, match="payload"):
        bare.begin(row.id).done("bare.change", events=[Event("bare.changed")])
