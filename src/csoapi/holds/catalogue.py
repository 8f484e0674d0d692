"""The events of holds: read with the scope of what is held (an impound, an evidence item).
No reason text: it may name an investigation."""

from __future__ import annotations

import uuid
from datetime import datetime

from csoapi.core.event_types import EventData, EventType

# Each kind of record that can be held adds its read scope here.
SCOPES = ("impounds:read", "evidence:read")


class HoldData(EventData):
    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    type: str
    basis: str
    review_due: datetime
    active: bool
    version: int


EVENTS = (
    EventType("hold.placed", "A hold was placed on a record", SCOPES, HoldData),
    EventType("hold.reviewed", "A hold was reviewed and kept", SCOPES, HoldData),
    EventType("hold.lifted", "A hold was lifted", SCOPES, HoldData),
)
