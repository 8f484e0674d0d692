"""Neighborhood Watch groups: registered with their area, liaison CSO and contacts; the
contacts are personal data, left out of every group read and listing and shown only to the
field's writers (``field:write``: CSOs and sergeants) by ``contacts``, each read an audit row
of its own; the meeting log is appended to, never changed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from csoapi.core import audit, events
from csoapi.core.clock import refuse_implausible
from csoapi.core.context import RequestContext
from csoapi.core.errors import Conflict
from csoapi.core.models import new_row, utcnow
from csoapi.core.mutation import Changes, Entity, Event
from csoapi.outreach.catalogue import OUTREACH
from csoapi.outreach.models import WatchGroup, WatchMeeting
from csoapi.outreach.repository import EventRepository, GroupRepository, MeetingRepository
from csoapi.outreach.schemas import (
    ContactRead,
    ContactsRead,
    GroupCreate,
    GroupRead,
    GroupUpdate,
    MeetingCreate,
)
from csoapi.outreach.staff import check_field_staff


def payload(g: WatchGroup) -> dict[str, Any]:
    """Ids, state and how many contacts: never who they are."""
    return {
        "id": str(g.id),
        "active": g.active,
        "contacts_count": len(g.contacts),
        "version": g.version,
    }


WATCH_GROUP: Entity[WatchGroup] = Entity("watch_group", OUTREACH, payload)


def _contacts(items: list[Any]) -> list[dict[str, Any]]:
    return [{"name": c.name, "phone": c.phone, "email": c.email} for c in items]


class WatchService:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.repo = GroupRepository(session)
        self.meetings = MeetingRepository(session)
        self.people = EventRepository(session)
        self.changes = Changes(
            session, ctx, WATCH_GROUP, lock=lambda k: self.get(k, for_update=True)
        )

    def get(self, group_id: uuid.UUID, *, for_update: bool = False) -> WatchGroup:
        return self.repo.get_or_404(group_id, for_update=for_update)

    def views(self, rows: list[WatchGroup]) -> list[GroupRead]:
        met = self.repo.last_met([g.id for g in rows])
        return [self._view(g, met.get(g.id)) for g in rows]

    def view(self, g: WatchGroup) -> GroupRead:
        return self.views([g])[0]

    @staticmethod
    def _view(g: WatchGroup, last_met_at: Any) -> GroupRead:
        fields = {k: getattr(g, k) for k in GroupRead.model_fields if hasattr(g, k)}
        return GroupRead(**fields, contacts_count=len(g.contacts), last_met_at=last_met_at)

    def _audit(self, action: str, g: WatchGroup, detail: dict[str, Any] | None = None) -> None:
        audit.record(
            self.session, self.ctx, action, entity_type="watch_group", entity_id=g.id, detail=detail
        )

    def read(self, group_id: uuid.UUID) -> WatchGroup:
        g = self.get(group_id)
        self._audit("watch_group.read", g)
        return g

    def contacts(self, group_id: uuid.UUID) -> ContactsRead:
        """The contacts' names, phones and e-mail addresses: every read audited."""
        g = self.get(group_id)
        self._audit("watch_group.contacts.read", g, {"count": len(g.contacts)})
        return ContactsRead(
            group_id=g.id, name=g.name, contacts=[ContactRead(**c) for c in g.contacts]
        )

    def page(self, *, active: bool | None, beat: str | None, limit: int, cursor: str | None):
        rows, nxt = self.repo.page(active=active, beat=beat, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "watch_group.list",
            entity_type="watch_group",
            filters={"active": active, "beat": beat, "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt

    def _unique_name(self, name: str, other_than: uuid.UUID | None = None) -> None:
        clash = self.repo.named(name, other_than)
        if clash is not None:
            raise Conflict(
                f"A Watch group is already named {name!r}",
                code="watch_group_exists",
                group_id=str(clash.id),
            )

    def create(self, data: GroupCreate) -> WatchGroup:
        self._unique_name(data.name)
        if data.liaison_id is not None:
            check_field_staff(self.people, [data.liaison_id], "liaison_id")
        g = new_row(
            WatchGroup,
            **data.model_dump(exclude={"contacts"}),
            contacts=_contacts(data.contacts),
            active=True,
            created_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        self.repo.add(g)
        self._audit("watch_group.create", g, {"contacts": len(g.contacts)})
        events.append(
            self.session,
            "outreach.watch_group_created",
            entity_type="watch_group",
            entity_id=g.id,
            read_scope=OUTREACH,
            payload=payload(g),
        )
        return g

    def update(self, group_id: uuid.UUID, data: GroupUpdate, if_match: str | None):
        change = self.changes.begin(group_id, if_match, required=True)
        g = change.row
        fields = data.model_dump(exclude_unset=True)
        if data.name is not None:
            self._unique_name(data.name, g.id)
        if data.liaison_id is not None:
            check_field_staff(self.people, [data.liaison_id], "liaison_id")
        for key in fields:
            value = getattr(data, key)
            if value is None and key not in ("beat", "liaison_id"):
                continue  # null for a field that must have a value: left as it is
            setattr(g, key, _contacts(value) if key == "contacts" else value)
        return change.done(
            "watch_group.update",
            detail={"fields": sorted(fields)},
            events=[Event("outreach.watch_group_updated")],
        )

    def log_meeting(self, group_id: uuid.UUID, data: MeetingCreate) -> WatchMeeting:
        g = self.get(group_id, for_update=True)
        if not g.active:
            raise Conflict("The Watch group is inactive", code="watch_group_inactive")
        refuse_implausible(data.held_at, "held_at", utcnow())
        m = new_row(
            WatchMeeting,
            group_id=g.id,
            **data.model_dump(),
            recorded_by=self.ctx.actor.id if self.ctx.actor.is_user else None,
        )
        self.meetings.add(m)
        self._audit("watch_group.meeting", g, {"meeting_id": str(m.id)})
        events.append(
            self.session,
            "outreach.watch_meeting_logged",
            entity_type="watch_group",
            entity_id=g.id,
            read_scope=OUTREACH,
            payload={
                "id": str(m.id),
                "group_id": str(g.id),
                "held_at": m.held_at.isoformat(),
                "attendance": m.attendance,
            },
        )
        return m

    def meeting_page(self, group_id: uuid.UUID, *, limit: int, cursor: str | None):
        g = self.get(group_id)
        rows, nxt = self.meetings.page(g.id, limit=limit, cursor=cursor)
        audit.record_list(
            self.session,
            self.ctx,
            "watch_group.meeting.list",
            entity_type="watch_meeting",
            filters={"group_id": str(g.id), "limit": limit, "cursor": cursor},
            count=len(rows),
        )
        return rows, nxt
