"""Every query of outreach events, Watch groups and their meeting logs."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from csoapi.core.pagination import SortKey
from csoapi.core.repository import Repository
from csoapi.outreach.models import OutreachEvent, WatchGroup, WatchMeeting
from csoapi.outreach.schemas import EventFilters
from csoapi.users.models import User

EVENT_KEYS = (
    SortKey(OutreachEvent.starts_at, "datetime", lambda e: e.starts_at),
    SortKey(OutreachEvent.id, "uuid", lambda e: e.id),
)
GROUP_KEYS = (
    SortKey(WatchGroup.created_at, "datetime", lambda g: g.created_at),
    SortKey(WatchGroup.id, "uuid", lambda g: g.id),
)
MEETING_KEYS = (
    SortKey(WatchMeeting.held_at, "datetime", lambda m: m.held_at),
    SortKey(WatchMeeting.id, "uuid", lambda m: m.id),
)


class EventRepository(Repository[OutreachEvent]):
    model = OutreachEvent
    missing = ("No such outreach event", "outreach_event_not_found")
    keys = EVENT_KEYS
    tag = "outreach-events"

    def people(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
        if not ids:
            return {}
        return {u.id: u for u in self.session.scalars(sa.select(User).where(User.id.in_(ids)))}

    def page(self, f: EventFilters, *, limit: int, cursor: str | None):
        stmt = sa.select(OutreachEvent)
        for column, value in (
            (OutreachEvent.kind, f.kind),
            (OutreachEvent.status, f.status),
            (OutreachEvent.youth_focus, f.youth_focus),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if f.starts_from is not None:
            stmt = stmt.where(OutreachEvent.starts_at >= f.starts_from)
        if f.starts_to is not None:
            stmt = stmt.where(OutreachEvent.starts_at < f.starts_to)
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)


class GroupRepository(Repository[WatchGroup]):
    model = WatchGroup
    missing = ("No such Neighborhood Watch group", "watch_group_not_found")
    keys = GROUP_KEYS
    tag = "watch-groups"

    def named(self, name: str, other_than: uuid.UUID | None = None) -> WatchGroup | None:
        stmt = sa.select(WatchGroup).where(sa.func.lower(WatchGroup.name) == name.lower())
        if other_than is not None:
            stmt = stmt.where(WatchGroup.id != other_than)
        return self.session.scalars(stmt.limit(1)).first()

    def page(self, *, active: bool | None, beat: str | None, limit: int, cursor: str | None):
        stmt = sa.select(WatchGroup)
        if active is not None:
            stmt = stmt.where(WatchGroup.active == active)
        if beat is not None:
            stmt = stmt.where(WatchGroup.beat == beat)
        return self.page_of(stmt, limit=limit, cursor=cursor)

    def last_met(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
        if not ids:
            return {}
        stmt = (
            sa.select(WatchMeeting.group_id, sa.func.max(WatchMeeting.held_at))
            .where(WatchMeeting.group_id.in_(ids))
            .group_by(WatchMeeting.group_id)
        )
        return {gid: at for gid, at in self.session.execute(stmt)}


class MeetingRepository(Repository[WatchMeeting]):
    model = WatchMeeting
    keys = MEETING_KEYS
    tag = "watch-meetings"

    def page(self, group_id: uuid.UUID, *, limit: int, cursor: str | None):
        stmt = sa.select(WatchMeeting).where(WatchMeeting.group_id == group_id)
        return self.page_of(stmt, limit=limit, cursor=cursor, descending=True)
