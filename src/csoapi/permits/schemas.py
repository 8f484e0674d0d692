from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from csoapi.core.schemas import AsString, Day, Input, Name, Output, ShortText, Text, Token
from csoapi.core.values import Phone, Plate, PlateState

ZoneCode = Token(r"^[A-Za-z0-9_\-]+$", max_length=16, case="upper")
PermitKind = Literal[
    "residential", "visitor", "temporary", "contractor", "disabled_placard_verification"
]


class PermitStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


class ZoneCreate(Input):
    code: ZoneCode
    name: Name
    description: Text | None = None


class ZoneUpdate(Input):
    name: Name | None = None
    description: Text | None = None
    active: StrictBool | None = None


class ZoneRead(Output):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class Holder(Input):
    name: Name
    address: Name
    phone: Phone | None = None


class PermitCreate(Input):
    kind: PermitKind
    zone: ZoneCode
    plate: Plate
    plate_state: PlateState
    holder: Holder
    valid_from: Day = Field(description="First local day (agency time zone) it is good")
    valid_to: Day = Field(description="Last local day it is good, inclusive")


class RevokeBody(Input):
    reason: ShortText


class PermitRead(Output):
    """A permit as the field sees it: no holder (``GET /permits/{id}/holder``)."""

    id: uuid.UUID
    number: str
    kind: str
    zone: str
    plate: str
    plate_state: str
    valid_from: date
    valid_to: date
    starts_at: datetime
    ends_at: datetime
    fee_cents: int
    status: PermitStatus
    revoked_at: datetime | None
    revoke_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class HolderRead(Output):
    permit_id: uuid.UUID
    number: str
    name: str
    address: str
    phone: str | None


class RenewalTerms(Output):
    """What renewing the permit now would buy: its run of days after the current one, the
    fee to pay (exactly) for it, and the last local day the renewal can be paid."""

    fee_cents: int
    valid_from: date
    valid_to: date
    open_until: date


class PortalPermit(Output):
    """What a payment portal sees of a permit: nothing of its holder. ``renewal`` is null
    when it cannot be renewed through a portal (revoked, lapsed, or a kind renewed in
    person)."""

    id: uuid.UUID
    number: str
    kind: str
    zone: str
    plate: str
    plate_state: str
    valid_from: date
    valid_to: date
    fee_cents: int
    status: PermitStatus
    renewal: RenewalTerms | None


class CheckResult(Output):
    covered: bool
    permit_id: uuid.UUID | None
    at: datetime
    valid_to: date | None = None


StatusQuery = Annotated[PermitStatus, AsString]


@dataclass(frozen=True)
class PermitFilters:
    zone: str | None = None
    plate: str | None = None
    plate_state: str | None = None
    kind: str | None = None
    status: PermitStatus | None = None
