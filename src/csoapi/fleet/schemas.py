from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from csoapi.core.schemas import (
    Day,
    Id,
    Input,
    Name,
    Output,
    PastDay,
    ShortText,
    Text,
    Timestamp,
    Token,
    Words,
)
from csoapi.core.values import Plate, PlateState, Vin

FleetKind = Literal["vehicle", "equipment"]
Category = Literal[
    "patrol_vehicle",
    "utility_vehicle",
    "truck",
    "van",
    "motorcycle",
    "cart",
    "trailer",
    "radar_trailer",
    "message_board",
    "radio",
    "radar_gun",
    "camera",
    "other",
]
FleetStatus = Literal["in_service", "out_of_service", "retired"]
LiveStatus = Literal["in_service", "out_of_service"]
UnitNumber = Token(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=32, case="upper")
Odometer = Annotated[int, Field(ge=0, le=2_000_000, description="Miles")]
EveryDays = Annotated[int, Field(ge=1, le=3650)]
EveryMiles = Annotated[int, Field(ge=1, le=200_000)]
Short = Words(64)


class FleetTaskByDate(Input):
    """Due on a date; with ``every_days``, due again that many days after each service."""

    task: Name
    due_on: Day
    every_days: EveryDays | None = None


class FleetTaskByOdometer(Input):
    """Due at an odometer reading; with ``every_miles``, due again that many miles after the
    reading of each service."""

    task: Name
    due_odometer: Odometer
    every_miles: EveryMiles | None = None


FleetTaskCreate = FleetTaskByDate | FleetTaskByOdometer


class FleetCreate(Input):
    kind: FleetKind
    unit_number: UnitNumber = Field(description="The agency's unit number or asset tag")
    name: Name
    category: Category
    make: Short | None = None
    model: Short | None = None
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    serial_number: Short | None = None
    vin: Vin | None = None
    plate: Plate | None = None
    plate_state: PlateState | None = None
    odometer: Odometer | None = None
    notes: Text | None = None
    maintenance: list[FleetTaskCreate] = Field(default_factory=list, max_length=50)


class FleetUpdate(Input):
    name: Name | None = None
    category: Category | None = None
    make: Short | None = None
    model: Short | None = None
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    serial_number: Short | None = None
    vin: Vin | None = None
    plate: Plate | None = None
    plate_state: PlateState | None = None
    odometer: Odometer | None = Field(
        default=None, description="A new reading: never lower than the last (422)"
    )
    notes: Text | None = None


class FleetStatusBody(Input):
    """In or out of service (retiring has its own route)."""

    status: LiveStatus
    reason: ShortText | None = None


class FleetRetireBody(Input):
    reason: ShortText


class FleetCheckoutCreate(Input):
    holder_id: Id = Field(description="The staff member (user id) who takes the item")
    expected_return_at: Timestamp | None = None
    purpose: ShortText | None = None


class FleetReturnBody(Input):
    note: ShortText | None = None
    odometer: Odometer | None = None


class FleetServiceCreate(Input):
    vendor: Name
    serviced_on: PastDay
    odometer: Odometer | None = None
    work_done: Text
    cost_cents: Annotated[int, Field(ge=0, le=100_000_000)]
    invoice_ref: Short | None = None
    completes: list[Id] = Field(
        default_factory=list, max_length=50, description="Ids of the maintenance tasks it did"
    )

    @model_validator(mode="after")
    def _once_each(self) -> FleetServiceCreate:
        if len(set(self.completes)) != len(self.completes):
            raise ValueError("completes names a task twice")
        return self


class FleetTaskRead(Output):
    id: uuid.UUID
    task: str
    due_on: date | None
    due_odometer: int | None
    every_days: int | None
    every_miles: int | None
    done: bool
    last_done_on: date | None
    last_done_odometer: int | None
    overdue: bool


class FleetCheckoutRead(Output):
    id: uuid.UUID
    item_id: uuid.UUID
    holder_id: uuid.UUID
    holder_name: str
    out_at: datetime
    out_by: uuid.UUID | None
    expected_return_at: datetime | None
    purpose: str | None
    returned_at: datetime | None
    returned_by: uuid.UUID | None
    return_note: str | None
    return_odometer: int | None


class FleetRead(Output):
    id: uuid.UUID
    kind: str
    unit_number: str
    name: str
    category: str
    status: str
    status_reason: str | None
    make: str | None
    model: str | None
    year: int | None
    serial_number: str | None
    vin: str | None
    plate: str | None
    plate_state: str | None
    odometer: int | None
    odometer_read_at: datetime | None
    notes: str | None
    retired_at: datetime | None
    maintenance: list[FleetTaskRead]
    maintenance_overdue: bool
    checked_out: FleetCheckoutRead | None
    version: int
    created_at: datetime
    updated_at: datetime


class FleetServiceRead(Output):
    id: uuid.UUID
    item_id: uuid.UUID
    vendor: str
    serviced_on: date
    odometer: int | None
    work_done: str
    cost_cents: int
    invoice_ref: str | None
    completes: list[uuid.UUID]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FleetFilters:
    kind: str | None = None
    category: str | None = None
    status: str | None = None
    service_due_before: date | None = None
    service_due_odometer_within: int | None = None
    checked_out: bool | None = None
    holder: uuid.UUID | None = None
