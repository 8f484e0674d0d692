"""The events of defect reports: ids, kinds and 311 states (no description, no photo)."""

from __future__ import annotations

import uuid

from csoapi.core.event_types import EventData, EventType

DEFECTS = "field:read"


class DefectData(EventData):
    id: uuid.UUID
    kind: str
    forwarding: str
    service_request_id: str | None
    status: str | None
    version: int


EVENTS = (
    EventType("defect.reported", "A defect was reported", DEFECTS, DefectData),
    EventType("defect.forwarded", "311 accepted a defect report", DEFECTS, DefectData),
    EventType("defect.failed", "311 never accepted a defect report", DEFECTS, DefectData),
    EventType("defect.status_changed", "311's status of a defect changed", DEFECTS, DefectData),
)
