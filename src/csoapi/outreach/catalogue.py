"""The events of outreach: ids, kinds, times, counts and states. No contact, no partner's
name, no notes: nothing that names a person."""

from __future__ import annotations

import uuid
from datetime import datetime

from csoapi.core.event_types import EventData, EventType

OUTREACH = "field:read"


class OutreachEventData(EventData):
    id: uuid.UUID
    kind: str
    status: str
    starts_at: datetime
    attendance: int | None
    youth_focus: bool
    version: int


class WatchGroupData(EventData):
    id: uuid.UUID
    active: bool
    contacts_count: int
    version: int


class WatchMeetingData(EventData):
    id: uuid.UUID
    group_id: uuid.UUID
    held_at: datetime
    attendance: int | None


EVENTS = (
    EventType(
        "outreach.event_created", "An outreach event was recorded", OUTREACH, OutreachEventData
    ),
    EventType(
        "outreach.event_updated", "An outreach event was changed", OUTREACH, OutreachEventData
    ),
    EventType(
        "outreach.watch_group_created",
        "A Neighborhood Watch group was registered",
        OUTREACH,
        WatchGroupData,
    ),
    EventType(
        "outreach.watch_group_updated",
        "A Neighborhood Watch group was changed",
        OUTREACH,
        WatchGroupData,
    ),
    EventType(
        "outreach.watch_meeting_logged",
        "A Neighborhood Watch group's meeting was logged",
        OUTREACH,
        WatchMeetingData,
    ),
)
