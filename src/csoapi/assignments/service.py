"""Assignments: planned with staff and equipment, changed, moved through their states; a
person on two overlapping live assignments is refused (409 ``staff_double_booked``, with
every clash), and so is a fleet item (409 ``equipment_double_booked``); a CSO's schedule is
the assignments that meet one local day. ``equipment`` stays free text beside
``fleet_items`` (the ids of the fleet items booked)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from csoapi.assignments.catalogue import ASSIGNMENTS
from csoapi.assignments.models import Assignment
from csoapi.assignments.repository import AssignmentRepository
from csoapi.assignments.schemas import (
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
    StatusBody,
)
from csoapi.calls.repository import CallRepository
from csoapi.core import audit, events
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict, InvalidTransition, Unprocessable
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.fleet.repository import FleetRepository

TRANSITIONS = {"planned": {"active", "cancelled"}, "active": {"completed", "cancelled"}}
LIVE = ("planned", "active")
FIELD_ROLES = ("cso", "sergeant")
BOOKINGS = ("staff", "fleet_items")


def payload(a: Assignment) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "kind": a.kind,
        "status": a.status,
        "starts_at": a.starts_at.isoformat(),
        "ends_at": a.ends_at.isoformat(),
        "version": a.version,
    }


ASSIGNMENT: Entity[Assignment] = Entity("assignment", ASSIGNMENTS, payload)


class AssignmentService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = AssignmentRepository(session)
        self.changes = Changes(
            session, ctx, ASSIGNMENT, lock=lambda k: self.get(k, for_update=True), log=self._log
        )

    def _log(self, a: Assignment, *, what: str) -> None:
        by = self.ctx.principal.name if self.ctx.principal else None
        a.activity = [*a.activity, {"at": utcnow().isoformat(), "by": by, "what": what}]

    def get(self, assignment_id: uuid.UUID, *, for_update: bool = False) -> Assignment:
        return self.repo.get_or_404(assignment_id, for_update=for_update)

    def view(
        self,
        a: Assignment,
        staff: list[uuid.UUID] | None = None,
        items: list[uuid.UUID] | None = None,
    ) -> AssignmentRead:
        people = staff if staff is not None else self.repo.staff_of([a.id])[a.id]
        booked = items if items is not None else self.repo.items_of([a.id])[a.id]
        fields = {k: getattr(a, k) for k in AssignmentRead.model_fields if k not in BOOKINGS}
        return AssignmentRead(**fields, staff=people, fleet_items=booked)

    def read(self, assignment_id: uuid.UUID) -> AssignmentRead:
        a = self.get(assignment_id)
        audit.record(
            self.session, self.ctx, "assignment.read", entity_type="assignment", entity_id=a.id
        )
        return self.view(a)

    def schedule(
        self,
        *,
        on: date | None,
        staff: uuid.UUID | None,
        status: str | None,
        kind: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[AssignmentRead], str | None]:
        """Assignments in start order; ``on``: those that meet that local day (the agency's
        time zone), ``staff``: those a person is on."""
        window = None
        if on is not None:
            tz = self.ctx.settings.tz
            start = datetime.combine(on, datetime.min.time(), tzinfo=tz)
            end = datetime.combine(on + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            window = (start, end)
        rows, nxt = self.repo.page(
            window=window, staff=staff, status=status, kind=kind, limit=limit, cursor=cursor
        )
        filters = {"on": on, "staff": staff, "status": status, "kind": kind}
        audit.record_list(
            self.session,
            self.ctx,
            "assignment.list",
            entity_type="assignment",
            filters=filters | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        ids = [a.id for a in rows]
        people, items = self.repo.staff_of(ids), self.repo.items_of(ids)
        return [self.view(a, people[a.id], items[a.id]) for a in rows], nxt

    def create(self, data: AssignmentCreate) -> Assignment:
        if data.call_id is not None and not CallRepository(self.session).exists(data.call_id):
            raise Unprocessable("call_id names no call", code="unknown_call", field="call_id")
        a = new_row(
            Assignment,
            **data.model_dump(exclude=set(BOOKINGS)),
            status="planned",
            created_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        self._book(a, data.staff)
        self._book_items(a, data.fleet_items)
        self._log(a, what="planned")
        self.repo.add(a)
        self.repo.set_staff(a, data.staff)
        self.repo.set_items(a, data.fleet_items)
        audit.record(
            self.session,
            self.ctx,
            "assignment.create",
            entity_type="assignment",
            entity_id=a.id,
            detail={"kind": a.kind, "staff": len(data.staff), "items": len(data.fleet_items)},
        )
        events.append(
            self.session,
            "assignment.created",
            entity_type="assignment",
            entity_id=a.id,
            read_scope=ASSIGNMENTS,
            payload=payload(a),
        )
        return a

    def update(
        self, assignment_id: uuid.UUID, data: AssignmentUpdate, if_match: str | None
    ) -> Assignment:
        change = self.changes.begin(assignment_id, if_match, required=True)
        a = change.row
        if a.status not in LIVE:
            raise Conflict(f"A {a.status} assignment is not changed", code="assignment_closed")
        fields = data.model_dump(exclude_unset=True, exclude=set(BOOKINGS))
        for key, value in fields.items():
            if value is not None or key == "notes":
                setattr(a, key, value)
        if a.ends_at <= a.starts_at:
            raise Unprocessable("ends_at must be after starts_at", code="window_reversed")
        staff = data.staff if data.staff is not None else self.repo.staff_of([a.id])[a.id]
        if len(set(staff)) != len(staff):
            raise Unprocessable("staff names a person twice", code="staff_repeated")
        self._book(a, staff)
        self.repo.set_staff(a, staff)
        items = data.fleet_items
        if items is not None and len(set(items)) != len(items):
            raise Unprocessable("fleet_items names an item twice", code="fleet_item_repeated")
        items = items if items is not None else self.repo.items_of([a.id])[a.id]
        self._book_items(a, items)
        self.repo.set_items(a, items)
        given = [k for k in BOOKINGS if getattr(data, k) is not None]
        changed = sorted([*fields, *given])
        return change.done(
            "assignment.update",
            detail={"fields": changed},
            activity={"what": f"changed {', '.join(changed) or 'nothing'}"},
            events=[Event("assignment.updated")],
        )

    def set_status(
        self, assignment_id: uuid.UUID, data: StatusBody, if_match: str | None
    ) -> Assignment:
        change = self.changes.begin(assignment_id, if_match)
        a = change.row
        if data.status not in TRANSITIONS.get(a.status, set()):
            raise InvalidTransition(f"An assignment cannot go from {a.status} to {data.status}")
        before, a.status = a.status, data.status
        self.repo.set_staff(a, self.repo.staff_of([a.id])[a.id])  # booked follows the status
        self.repo.set_items(a, self.repo.items_of([a.id])[a.id])
        note = f": {data.note}" if data.note else ""
        return change.done(
            "assignment.status",
            detail={"from": before, "to": a.status},
            activity={"what": f"{before} → {a.status}{note}"},
            events=[Event("assignment.status_changed")],
        )

    def _book(self, a: Assignment, staff: list[uuid.UUID]) -> None:
        """Everyone on ``a`` exists, works in the field, and is free then (their rows are
        locked first, so a concurrent booking of the same person waits for this one)."""
        if not staff:
            return
        people = self.repo.lock_people(staff)
        unknown = [str(u) for u in staff if u not in people or not people[u].active]
        if unknown:
            raise Unprocessable("staff names no active user", code="unknown_staff", ids=unknown)
        outside = [str(u) for u in staff if people[u].role not in FIELD_ROLES]
        if outside:
            raise Unprocessable(
                "Assignments staff CSOs and sergeants", code="not_field_staff", ids=outside
            )
        found = self.repo.clashes(staff, a.starts_at, a.ends_at, a.id)
        if found:
            raise Conflict(
                "A person is already on an overlapping assignment",
                code="staff_double_booked",
                clashes=[
                    {
                        "user_id": str(s.user_id),
                        "assignment_id": str(b.id),
                        "kind": b.kind,
                        "title": b.title,
                        "starts_at": b.starts_at.isoformat(),
                        "ends_at": b.ends_at.isoformat(),
                    }
                    for s, b in found
                ],
            )

    def _book_items(self, a: Assignment, items: list[uuid.UUID]) -> None:
        """Every fleet item on ``a`` exists, is not retired, and is not on another live
        assignment then (locked first, as people are)."""
        if not items:
            return
        found = FleetRepository(self.session).lock_items(items)
        unknown = [str(i) for i in items if i not in found or found[i].status == "retired"]
        if unknown:
            raise Unprocessable(
                "fleet_items names no fleet item in service",
                code="unknown_fleet_item",
                ids=unknown,
            )
        clashes = self.repo.item_clashes(items, a.starts_at, a.ends_at, a.id)
        if clashes:
            raise Conflict(
                "A fleet item is already on an overlapping assignment",
                code="equipment_double_booked",
                clashes=[
                    {
                        "item_id": str(s.item_id),
                        "unit_number": found[s.item_id].unit_number,
                        "assignment_id": str(b.id),
                        "kind": b.kind,
                        "title": b.title,
                        "starts_at": b.starts_at.isoformat(),
                        "ends_at": b.ends_at.isoformat(),
                    }
                    for s, b in clashes
                ],
            )
