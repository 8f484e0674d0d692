"""The events of calls for service (read with calls:read)."""

from __future__ import annotations

import uuid
from datetime import datetime

from csoapi.core.event_types import EventData, EventType

SCOPE = "calls:read"


class CallData(EventData):
    id: uuid.UUID
    number: str
    call_type: str
    priority: int
    status: str
    beat: str | None
    assigned_to: uuid.UUID | None
    disposition: str | None
    version: int


class CallCreated(CallData):
    received_at: datetime
    source: str
    external_id: str | None


class CallUpdated(CallData):
    fields: list[str]


class CallAssigned(CallData):
    previous_assignee: uuid.UUID | None


class CallStatusChanged(CallData):
    from_status: str
    to_status: str
    at: datetime


class CallEscalated(CallData):
    at: datetime


EVENTS = (
    EventType("call.created", "A call for service was received", SCOPE, CallCreated),
    EventType("call.updated", "A call's details were edited", SCOPE, CallUpdated),
    EventType("call.assigned", "A call was assigned or reassigned", SCOPE, CallAssigned),
    EventType("call.status_changed", "A call moved to another status", SCOPE, CallStatusChanged),
    EventType("call.escalated", "A call was escalated to sworn officers", SCOPE, CallEscalated),
)
