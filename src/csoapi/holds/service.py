"""Holds, one mechanism for every record that can be held (contract section 6a).

The Python API other features use:

- ``Subject``: how a feature's records are held: their ``kind`` (``impound``, ``evidence``),
  the scope that reads their hold events, and ``lock``, which takes the record's row lock
  (the feature's own 404 for a record the caller may not see) and may refuse a new hold.
- ``HoldService(session, ctx)``: ``place``, ``review``, ``lift``, ``of_subject`` and the
  review worklist ``page``. Every change locks the subject's row first, so a hold placed
  while another request releases or disposes of the record waits for it: either that
  release committed first (and the record then refuses the hold) or it sees the hold.
- ``active_holds(session, kind, id)`` and ``blocking_conditions(session, kind, id)``: what a
  feature reads, under its own lock on the record, before an action a hold blocks; the
  conditions are the ``[{code, detail}]`` of its 409 (``refuse_if_held`` raises that 409).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from csoapi.core import audit, events
from csoapi.core.clock import to_utc
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, NotFound, Unprocessable
from csoapi.core.models import utcnow
from csoapi.core.mutation import Change, Changes, Entity, Event
from csoapi.holds.models import Hold
from csoapi.holds.repository import HoldRepository
from csoapi.holds.schemas import HoldCreate, HoldLift, HoldRead, HoldReview

# The furthest ahead a review may be set: a hold nobody looks at for more than a year is
# not supervised.
LONGEST_REVIEW = timedelta(days=366)

# (session, ctx, subject id, for_update) -> the record (locked when for_update); raises its
# feature's 404 for a record that does not exist or that the caller may not see.
Lock = Callable[[Session, RequestContext, uuid.UUID, bool], Any]


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    read_scope: str
    lock: Lock
    # Why the locked record can take no new hold (released, destroyed), or None.
    refuses_hold: Callable[[Any], str | None] = lambda _row: None


def payload(h: Hold) -> dict[str, Any]:
    """What a hold's events carry: no reason text (it may name an investigation)."""
    return {
        "id": str(h.id),
        "subject_kind": h.subject_kind,
        "subject_id": str(h.subject_id),
        "type": h.type,
        "basis": h.basis,
        "review_due": h.review_due.isoformat(),
        "active": h.active,
        "version": h.version,
    }


HOLD: Entity[Hold] = Entity("hold", payload=payload)


def view(h: Hold, now: datetime) -> HoldRead:
    fields = {name: getattr(h, name) for name in _STORED}
    return HoldRead(**fields, active=h.active, review_overdue=h.active and h.review_due < now)


_STORED = tuple(n for n in HoldRead.model_fields if n not in ("active", "review_overdue"))


def holds_on(session: Session, kind: str, subject_id: uuid.UUID) -> list[Hold]:
    """Every hold on ``(kind, subject_id)``, active and lifted, oldest first (for a
    feature's view of its record; unaudited: the record's read is)."""
    return HoldRepository(session).of_subject(kind, subject_id, active=False)


def active_holds(session: Session, kind: str, subject_id: uuid.UUID) -> list[Hold]:
    """The holds on ``(kind, subject_id)`` not yet released, oldest first."""
    return HoldRepository(session).of_subject(kind, subject_id, active=True)


def condition(h: Hold) -> dict[str, Any]:
    return {
        "code": "active_hold",
        "detail": f"{h.type.capitalize()} hold ({h.basis}) placed "
        f"{h.placed_at.isoformat()} by {h.placed_by_name}",
        "hold_id": str(h.id),
        "hold_type": h.type,
    }


def blocking_conditions(session: Session, kind: str, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """One ``{code: "active_hold", detail, hold_id, hold_type}`` per active hold on the record:
    empty when nothing holds it. Read it under the record's own lock."""
    return [condition(h) for h in active_holds(session, kind, subject_id)]


def refuse_if_held(session: Session, kind: str, subject_id: uuid.UUID, action: str) -> None:
    """409 ``held`` with the conditions when an active hold blocks ``action``."""
    conditions = blocking_conditions(session, kind, subject_id)
    if conditions:
        raise Conflict(f"An active hold blocks {action}", code="held", conditions=conditions)


class HoldService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = HoldRepository(session)
        self.changes = Changes(
            session, ctx, HOLD, lock=lambda key: self.repo.get_or_404(key, for_update=True)
        )

    # -- reads ----------------------------------------------------------------------------
    def view(self, h: Hold) -> HoldRead:
        return view(h, utcnow())

    def of_subject(self, subject: Subject, subject_id: uuid.UUID) -> list[Hold]:
        subject.lock(self.session, self.ctx, subject_id, False)
        rows = self.repo.of_subject(subject.kind, subject_id, active=False)
        audit.record_list(
            self.session,
            self.ctx,
            "hold.list",
            entity_type="hold",
            filters={"subject_kind": subject.kind, "subject_id": subject_id},
            count=len(rows),
        )
        return rows

    def page(
        self,
        subject: Subject,
        *,
        active: bool | None,
        review_overdue: bool,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Hold], str | None]:
        """Holds on ``subject``'s records by review date; ``review_overdue``: the active
        ones past their review (a supervisor's worklist)."""
        now = utcnow() if review_overdue else None
        rows, nxt = self.repo.page(
            subject.kind, active=active, overdue_at=now, limit=limit, cursor=cursor
        )
        audit.record_list(
            self.session,
            self.ctx,
            "hold.list",
            entity_type="hold",
            filters={
                "subject_kind": subject.kind,
                "active": active,
                "review_overdue": review_overdue or None,
                "limit": limit,
                "cursor": cursor,
            },
            count=len(rows),
        )
        return rows, nxt

    # -- changes --------------------------------------------------------------------------
    def place(self, subject: Subject, subject_id: uuid.UUID, data: HoldCreate) -> Hold:
        record = subject.lock(self.session, self.ctx, subject_id, True)
        why = subject.refuses_hold(record)
        if why is not None:
            raise Conflict(why, code="hold_not_allowed")
        now = utcnow()
        actor = self.ctx.actor
        h = self.repo.add(
            Hold(
                subject_kind=subject.kind,
                subject_id=subject_id,
                type=data.type.value,
                basis=data.basis,
                reason=data.reason,
                placed_by=actor.id,
                placed_by_name=actor.name,
                placed_at=now,
                review_due=self._review_due(data.review_due, now, "review_due"),
            )
        )
        audit.record(
            self.session,
            self.ctx,
            "hold.place",
            entity_type="hold",
            entity_id=h.id,
            detail={"subject_kind": subject.kind, "subject_id": str(subject_id), "type": h.type},
        )
        events.append(
            self.session,
            "hold.placed",
            entity_type="hold",
            entity_id=h.id,
            read_scope=subject.read_scope,
            payload=payload(h),
        )
        return h

    def review(
        self,
        subject: Subject,
        subject_id: uuid.UUID,
        hold_id: uuid.UUID,
        data: HoldReview,
        if_match: str | None,
    ) -> Hold:
        """A supervisor has looked at the hold again and keeps it: the next review is due."""
        change = self._active(subject, subject_id, hold_id, if_match)
        h, now = change.row, utcnow()
        h.reviewed_by, h.reviewed_at, h.review_note = self.ctx.actor.id, now, data.note
        h.review_due = self._review_due(data.next_review_due, now, "next_review_due")
        return change.done(
            "hold.review",
            detail={"review_due": h.review_due.isoformat()},
            events=[Event("hold.reviewed", read_scope=subject.read_scope)],
        )

    def lift(
        self,
        subject: Subject,
        subject_id: uuid.UUID,
        hold_id: uuid.UUID,
        data: HoldLift,
        if_match: str | None,
    ) -> Hold:
        change = self._active(subject, subject_id, hold_id, if_match)
        h, actor = change.row, self.ctx.actor
        h.released_by, h.released_by_name = actor.id, actor.name
        h.released_at, h.release_reason = utcnow(), data.reason
        return change.done(
            "hold.lift",
            detail={"subject_kind": subject.kind, "subject_id": str(subject_id)},
            events=[Event("hold.lifted", read_scope=subject.read_scope)],
        )

    # -- helpers --------------------------------------------------------------------------
    def _active(
        self, subject: Subject, subject_id: uuid.UUID, hold_id: uuid.UUID, if_match: str | None
    ) -> Change[Hold]:
        """The hold, on that record (else 404), locked after the record, still active."""
        subject.lock(self.session, self.ctx, subject_id, True)
        change = self.changes.begin(hold_id, if_match)
        h = change.row
        if h.subject_kind != subject.kind or h.subject_id != subject_id:
            raise NotFound("No such hold", code="hold_not_found")
        if not h.active:
            raise Conflict("This hold has been lifted already", code="hold_released")
        return change

    def _review_due(self, given: datetime | None, now: datetime, field: str) -> datetime:
        if given is None:
            return now + timedelta(days=self.ctx.settings.hold_review_days)
        due = to_utc(given)
        if due <= now:
            raise Unprocessable(
                f"'{field}' must be in the future", code="review_due_past", field=field
            )
        if due > now + LONGEST_REVIEW:
            raise Unprocessable(
                f"'{field}' may be at most {LONGEST_REVIEW.days} days ahead",
                code="review_due_too_far",
                field=field,
            )
        return due
