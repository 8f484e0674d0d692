"""The events of permits: no plate and no holder in any (the feed carries ids and states)."""

from __future__ import annotations

import uuid
from datetime import date

from csoapi.core.event_types import EventData, EventType

PERMITS = "field:read"


class PermitData(EventData):
    id: uuid.UUID
    number: str
    kind: str
    zone: str
    state: str
    valid_from: date
    valid_to: date
    version: int


EVENTS = (
    EventType("permit.issued", "A parking permit was issued", PERMITS, PermitData),
    EventType("permit.revoked", "A parking permit was revoked", PERMITS, PermitData),
    EventType(
        "permit.renewed",
        "A parking permit was renewed (its renewal paid): valid_to is the new last day",
        PERMITS,
        PermitData,
    ),
)
