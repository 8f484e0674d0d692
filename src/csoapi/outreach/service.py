"""Community events and meetings: recorded with their partners, materials, the CSOs who
ran them, the attendance and follow-ups; changed under If-Match (a follow-up is marked done
by sending the list back); listed newest first."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from sqlmodel import Session

from csoapi.core import audit, events
from csoapi.core.context import RequestContext
from csoapi.core.errors import Unprocessable
from csoapi.core.models import new_row
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.outreach.catalogue import OUTREACH
from csoapi.outreach.models import OutreachEvent
from csoapi.outreach.repository import EventRepository
from csoapi.outreach.schemas import EventCreate, EventFilters, EventRead, EventUpdate
from csoapi.outreach.staff import check_field_staff

JSON_LISTS = ("partners", "materials")


def payload(e: OutreachEvent) -> dict[str, Any]:
    """Ids, kind, time, counts, state: no partner, no staff, no notes."""
    return {
        "id": str(e.id),
        "kind": e.kind,
        "status": e.status,
        "starts_at": e.starts_at.isoformat(),
        "attendance": e.attendance,
        "youth_focus": e.youth_focus,
        "version": e.version,
    }


OUTREACH_EVENT: Entity[OutreachEvent] = Entity("outreach_event", OUTREACH, payload)


def _follow_ups(items: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "task": f.task,
            "due_on": f.due_on.isoformat() if f.due_on else None,
            "done": f.done,
        }
        for f in items
    ]


class OutreachService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = EventRepository(session)
        self.changes = Changes(
            session, ctx, OUTREACH_EVENT, lock=lambda k: self.get(k, for_update=True)
        )

    def get(self, event_id: uuid.UUID, *, for_update: bool = False) -> OutreachEvent:
        return self.repo.get_or_404(event_id, for_update=for_update)

    @staticmethod
    def view(e: OutreachEvent) -> EventRead:
        return EventRead.model_validate(e)

    def read(self, event_id: uuid.UUID) -> OutreachEvent:
        e = self.get(event_id)
        audit.record(
            self.session,
            self.ctx,
            "outreach_event.read",
            entity_type="outreach_event",
            entity_id=e.id,
        )
        return e

    def page(self, f: EventFilters, *, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(f, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "outreach_event.list",
            entity_type="outreach_event",
            filters=asdict(f) | {"limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    def create(self, data: EventCreate) -> OutreachEvent:
        check_field_staff(self.repo, data.staff, "staff")
        e = new_row(
            OutreachEvent,
            **data.model_dump(exclude={"staff", "follow_ups"}),
            staff=[str(u) for u in data.staff],
            follow_ups=_follow_ups(data.follow_ups),
            created_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        self.repo.add(e)
        audit.record(
            self.session,
            self.ctx,
            "outreach_event.create",
            entity_type="outreach_event",
            entity_id=e.id,
            detail={"kind": e.kind, "staff": len(data.staff)},
        )
        events.append(
            self.session,
            "outreach.event_created",
            entity_type="outreach_event",
            entity_id=e.id,
            read_scope=OUTREACH,
            payload=payload(e),
        )
        return e

    def update(self, event_id: uuid.UUID, data: EventUpdate, if_match: str | None):
        change = self.changes.begin(event_id, if_match, required=True)
        e = change.row
        fields = data.model_dump(exclude_unset=True)
        nullable = ("ends_at", "attendance", "notes")
        for key in fields:
            value = getattr(data, key)
            if value is None and key not in nullable:
                continue  # null for a field that must have a value: left as it is
            if key == "staff":
                check_field_staff(self.repo, value, "staff")
                value = [str(u) for u in value]
            elif key == "follow_ups":
                value = _follow_ups(value)
            elif key in JSON_LISTS:
                value = list(value)
            setattr(e, key, value)
        if e.ends_at is not None and e.ends_at <= e.starts_at:
            raise Unprocessable(
                "ends_at must be after starts_at", code="window_reversed", field="ends_at"
            )
        return change.done(
            "outreach_event.update",
            detail={"fields": sorted(fields)},
            events=[Event("outreach.event_updated")],
        )
