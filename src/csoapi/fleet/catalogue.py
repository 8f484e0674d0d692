"""The events of the fleet: ids, kinds, states and versions; never who holds an item (a
check-out event names the check-out, not the person)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from csoapi.core.event_types import EventData, EventType

FLEET = "field:read"


class FleetData(EventData):
    id: uuid.UUID
    kind: str
    category: str
    unit_number: str
    status: str
    version: int


class FleetServicedData(FleetData):
    service_record_id: uuid.UUID
    serviced_on: date
    cost_cents: int
    tasks_completed: int


class FleetCheckoutData(FleetData):
    checkout_id: uuid.UUID
    expected_return_at: datetime | None = None


EVENTS = (
    EventType("fleet.item_created", "A vehicle or piece of equipment was added", FLEET, FleetData),
    EventType("fleet.item_updated", "A fleet item was changed", FLEET, FleetData),
    EventType("fleet.item_retired", "A fleet item was retired", FLEET, FleetData),
    EventType(
        "fleet.maintenance_changed", "A maintenance task was added or removed", FLEET, FleetData
    ),
    EventType("fleet.serviced", "A vendor's service record was filed", FLEET, FleetServicedData),
    EventType("fleet.checked_out", "An item was checked out", FLEET, FleetCheckoutData),
    EventType("fleet.returned", "A checked-out item was returned", FLEET, FleetCheckoutData),
)
