"""The events of assignments: ids, kinds, windows and states (no staff, no notes)."""

from __future__ import annotations

import uuid
from datetime import datetime

from csoapi.core.event_types import EventData, EventType

ASSIGNMENTS = "field:read"


class AssignmentData(EventData):
    id: uuid.UUID
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    version: int


EVENTS = (
    EventType("assignment.created", "An assignment was planned", ASSIGNMENTS, AssignmentData),
    EventType("assignment.updated", "An assignment was changed", ASSIGNMENTS, AssignmentData),
    EventType(
        "assignment.status_changed", "An assignment's status changed", ASSIGNMENTS, AssignmentData
    ),
)
