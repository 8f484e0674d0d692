"""The events of evidence and property (read with evidence:read): ids, barcodes, kinds and
states; no owner, no description."""

from __future__ import annotations

import uuid

from csoapi.core.event_types import EventData, EventType

SCOPE = "evidence:read"


class ItemData(EventData):
    id: uuid.UUID
    barcode: str
    kind: str
    category: str
    status: str
    custody_seq: int
    version: int


class CustodyChanged(ItemData):
    action: str  # the custody event's action: transfer, move, check_out, ...


class Disposition(ItemData):
    disposition_id: uuid.UUID
    disposition_type: str
    disposition_status: str


class AuditClosed(EventData):
    id: uuid.UUID
    status: str
    trigger: str
    version: int


EVENTS = (
    EventType("evidence.intake", "An item was taken into custody", SCOPE, ItemData),
    EventType(
        "evidence.custody_changed", "The chain of custody grew by one event", SCOPE, CustodyChanged
    ),
    EventType("evidence.disposition_requested", "A disposition was requested", SCOPE, Disposition),
    EventType("evidence.disposition_approved", "A disposition was approved", SCOPE, Disposition),
    EventType("evidence.disposed", "An item was disposed of", SCOPE, Disposition),
    EventType("evidence.audit_closed", "A property-room audit was closed", SCOPE, AuditClosed),
)
