"""The holds service as other features call it (its Python API), on a stand-in subject;
the HTTP routes are tested through the impounds that mount them (tests/impounds)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from csoapi.core.audit import AuditEvent
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from csoapi.core.events import OutboxEvent
from csoapi.core.models import utcnow
from csoapi.core.scopes import scopes_for
from csoapi.core.security import Principal
from csoapi.holds.schemas import HoldCreate, HoldLift, HoldReview
from csoapi.holds.service import (
    HoldService,
    Subject,
    active_holds,
    blocking_conditions,
    refuse_if_held,
)
from tests.factories import create_user

RECORDS: dict[uuid.UUID, str] = {}


def _lock(session, ctx, subject_id, for_update):
    if subject_id not in RECORDS:
        raise NotFound("No such thing", code="thing_not_found")
    return RECORDS[subject_id]


THING = Subject(
    "thing",
    "impounds:read",
    _lock,
    refuses_hold=lambda state: "It is gone" if state == "gone" else None,
)


@pytest.fixture
def svc(db, settings):
    user = create_user(db, settings, "sergeant", full_name="Sgt Pat Hold")
    principal = Principal(
        kind="user",
        id=user.id,
        name=user.full_name,
        role="sergeant",
        scopes=scopes_for("sergeant"),
        session_id=uuid.uuid4(),
        token_id="t",
    )
    ctx = RequestContext(principal=principal, request_id="r1", source_ip=None, settings=settings)
    return HoldService(db, ctx)


def _thing(state="here"):
    key = uuid.uuid4()
    RECORDS[key] = state
    return key


def _hold(**kw):
    body = {"type": "investigative", "basis": "PC 1524 warrant", "reason": "Vehicle in a case"}
    return HoldCreate.model_validate(body | kw)


def test_place_defaults_review_to_the_setting_and_blocks(svc, db, settings):
    key = _thing()
    assert blocking_conditions(db, "thing", key) == []
    refuse_if_held(db, "thing", key, "release")  # nothing holds it
    before = utcnow()
    h = svc.place(THING, key, _hold())
    assert h.placed_by_name == "Sgt Pat Hold"
    due = timedelta(days=settings.hold_review_days)
    assert before + due <= h.review_due <= utcnow() + due
    (cond,) = blocking_conditions(db, "thing", key)
    assert (cond["code"], cond["hold_id"], cond["hold_type"]) == (
        "active_hold",
        str(h.id),
        "investigative",
    )
    assert "PC 1524 warrant" in cond["detail"]
    with pytest.raises(Conflict) as refused:
        refuse_if_held(db, "thing", key, "release")
    assert refused.value.code == "held"
    assert refused.value.extra["conditions"] == [cond]
    # Another record is not held by it, nor is a record of another kind with the same id.
    assert blocking_conditions(db, "thing", _thing()) == []
    assert blocking_conditions(db, "other", key) == []


def test_lift_unblocks_and_keeps_the_record(svc, db):
    key = _thing()
    first = svc.place(THING, key, _hold())
    second = svc.place(THING, key, _hold(type="court", basis="Order 24-113"))
    assert [h.id for h in active_holds(db, "thing", key)] == [first.id, second.id]
    lifted = svc.lift(THING, key, first.id, HoldLift(reason="Case closed"), None)
    assert (lifted.active, lifted.release_reason, lifted.version) == (False, "Case closed", 2)
    assert [c["hold_id"] for c in blocking_conditions(db, "thing", key)] == [str(second.id)]
    with pytest.raises(Conflict) as again:
        svc.lift(THING, key, first.id, HoldLift(reason="twice"), None)
    assert again.value.code == "hold_released"
    svc.lift(THING, key, second.id, HoldLift(reason="Order vacated"), '"1"')
    assert blocking_conditions(db, "thing", key) == []
    assert len(svc.of_subject(THING, key)) == 2  # lifted holds stay on record
    events = db.scalars(
        sa.select(OutboxEvent.type)
        .where(OutboxEvent.entity_type == "hold")
        .order_by(OutboxEvent.id)
    ).all()
    assert events == ["hold.placed", "hold.placed", "hold.lifted", "hold.lifted"]
    actions = db.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "hold")).all()
    assert sorted(actions) == ["hold.lift", "hold.lift", "hold.list", "hold.place", "hold.place"]


def test_lift_checks_the_subject_and_the_etag(svc):
    key, other = _thing(), _thing()
    h = svc.place(THING, key, _hold())
    with pytest.raises(NotFound):  # the hold is not on that record
        svc.lift(THING, other, h.id, HoldLift(reason="x"), None)
    with pytest.raises(NotFound):
        svc.lift(THING, key, uuid.uuid4(), HoldLift(reason="x"), None)
    with pytest.raises(NotFound):
        svc.place(THING, uuid.uuid4(), _hold())
    with pytest.raises(PreconditionFailed):
        svc.lift(THING, key, h.id, HoldLift(reason="x"), '"7"')


def test_a_record_may_refuse_new_holds(svc):
    with pytest.raises(Conflict) as refused:
        svc.place(THING, _thing("gone"), _hold())
    assert (refused.value.code, refused.value.detail) == ("hold_not_allowed", "It is gone")


def test_review_due_bounds_and_review(svc):
    key = _thing()
    now = utcnow()
    with pytest.raises(Unprocessable) as past:
        svc.place(THING, key, _hold(review_due=(now - timedelta(hours=1)).isoformat()))
    assert past.value.code == "review_due_past"
    with pytest.raises(Unprocessable) as far:
        svc.place(THING, key, _hold(review_due=(now + timedelta(days=400)).isoformat()))
    assert far.value.code == "review_due_too_far"
    h = svc.place(THING, key, _hold(review_due=(now + timedelta(days=2)).isoformat()))
    assert abs(h.review_due - (now + timedelta(days=2))) < timedelta(seconds=1)
    # Once overdue, it is listed so, and in the worklist; a review sets the next date.
    h.review_due = now - timedelta(minutes=1)
    svc.session.flush()
    assert svc.view(h).review_overdue is True
    rows, _ = svc.page(THING, active=None, review_overdue=True, limit=10, cursor=None)
    assert [r.id for r in rows] == [h.id]
    reviewed = svc.review(THING, key, h.id, HoldReview(note="Still needed"), None)
    assert reviewed.review_note == "Still needed" and not svc.view(reviewed).review_overdue
    rows, _ = svc.page(THING, active=None, review_overdue=True, limit=10, cursor=None)
    assert rows == []
    svc.lift(THING, key, h.id, HoldLift(reason="done"), None)
    lifted = svc.view(h)
    assert (lifted.active, lifted.review_overdue) == (False, False)
    with pytest.raises(Conflict):
        svc.review(THING, key, h.id, HoldReview(note="late"), None)


def test_the_type_is_a_closed_list():
    with pytest.raises(ValueError):
        _hold(type="personal")
    with pytest.raises(ValueError):
        _hold(extra="field")
