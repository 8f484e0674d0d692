from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from csoapi.core.schemas import (
    AsString,
    Code,
    Id,
    Input,
    Name,
    Output,
    PastDay,
    ShortText,
    Text,
    Timestamp,
    Words,
)
from csoapi.core.values import Beat, Phone, Plate, PlateState, VehicleWord, Vin


class ReportKind(StrEnum):
    incident = "incident"
    crime = "crime"
    collision = "collision"
    activity = "activity"


class ReportStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"
    processed = "processed"


PersonRole = Literal["victim", "witness", "reporting_party", "suspect", "driver", "owner"]
# NENA EIDO vehicle roles (vehicleRelationshipType registry)
VehicleRole = Literal["Involved", "Striking", "Struck", "Parked", "Suspect", "Victim", "Witness"]


class Person(Input):
    role: PersonRole
    name: Name
    phone: Phone | None = None
    address: Name | None = None
    date_of_birth: PastDay | None = Field(default=None, description="Not in the future")
    juvenile: StrictBool = False


class ReportVehicleIn(Input):
    role: VehicleRole = "Involved"
    plate: Plate | None = None
    plate_state: PlateState | None = None
    vin: Vin | None = None
    make: VehicleWord | None = None
    model: VehicleWord | None = None
    color: VehicleWord | None = None
    insurance: Name | None = None
    driver: int | None = Field(
        default=None, ge=0, le=49, description="Index of the driver in persons"
    )


class ReportLocation(Input):
    address: Name
    beat: Beat | None = None


class ReportCreate(Input):
    kind: Annotated[ReportKind, AsString]
    call_id: Id | None = None
    offense_code: Code | None = Field(
        default=None, description="Crime reports: a NIBRS offense code"
    )
    hit_and_run: StrictBool = False
    narrative: Words(20_000) | None = None  # type: ignore[valid-type]
    occurred_from: Timestamp | None = None
    occurred_to: Timestamp | None = None
    location: ReportLocation | None = None
    persons: list[Person] = Field(default_factory=list, max_length=50)
    vehicles: list[ReportVehicleIn] = Field(default_factory=list, max_length=20)


class ReportUpdate(Input):
    offense_code: Code | None = None
    hit_and_run: StrictBool | None = None
    narrative: Words(20_000) | None = None  # type: ignore[valid-type]
    occurred_from: Timestamp | None = None
    occurred_to: Timestamp | None = None
    location: ReportLocation | None = None
    persons: list[Person] | None = Field(default=None, max_length=50)
    vehicles: list[ReportVehicleIn] | None = Field(default=None, max_length=20)


class ReturnBody(Input):
    reason: ShortText


class SupplementBody(Input):
    narrative: Text


class ContactBody(Input):
    method: Literal["phone", "email", "letter", "in_person"]
    at: Timestamp
    summary: Text


class PersonRead(Output):
    """A person on a report. Fields withheld from the reader are null, and `redacted` says so."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    role: str
    name: str | None
    phone: str | None
    address: str | None
    date_of_birth: date | None
    juvenile: bool
    redacted: bool = Field(
        default=False,
        description="Some of this person's detail (phone, address, date of birth; a "
        "juvenile's name) is withheld from this view: those fields are null whatever they hold",
    )


class VehicleOut(Output):
    role: str
    plate: str | None
    plate_state: str | None
    vin: str | None
    make: str | None
    model: str | None
    color: str | None
    insurance: str | None
    driver: int | None


class SupplementRead(Output):
    id: uuid.UUID
    author_id: uuid.UUID
    narrative: str
    created_at: datetime


class ContactRead(Output):
    id: uuid.UUID
    by_id: uuid.UUID
    method: str
    at: datetime
    summary: str


class ReportRead(Output):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: uuid.UUID
    number: str | None
    kind: ReportKind
    status: ReportStatus
    author_id: uuid.UUID
    call_id: uuid.UUID | None
    offense_code: str | None
    hit_and_run: bool
    narrative: str
    occurred_from: datetime | None
    occurred_to: datetime | None
    location: ReportLocation | None
    persons: list[PersonRead]
    vehicles: list[VehicleOut]
    supplements: list[SupplementRead]
    submitted_at: datetime | None
    reviewed_by: uuid.UUID | None
    return_reason: str | None
    approved_at: datetime | None
    processed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    redactions: list[str] = Field(
        default_factory=list,
        description="What this view withholds (empty: the full report). Person detail goes "
        "to the author, reviewers (reports:review) and records (reports:records) only",
    )


class ReportSummary(Output):
    id: uuid.UUID
    number: str | None
    kind: ReportKind
    status: ReportStatus
    author_id: uuid.UUID
    offense_code: str | None
    submitted_at: datetime | None
    approved_at: datetime | None
    version: int
    created_at: datetime


class ReleaseCopy(BaseModel):
    """The redacted copy for release: no victim or witness contact data, juvenile names
    withheld. Export to RMS vendors uses the same redaction."""

    id: uuid.UUID
    number: str | None
    kind: ReportKind
    status: ReportStatus
    offense_code: str | None
    hit_and_run: bool
    narrative: str
    occurred_from: datetime | None
    occurred_to: datetime | None
    location: ReportLocation | None
    persons: list[PersonRead]
    vehicles: list[VehicleOut]
    supplements: list[SupplementRead]
    approved_at: datetime | None
    processed_at: datetime | None
    redactions: list[str]
