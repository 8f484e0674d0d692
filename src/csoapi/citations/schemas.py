from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool

from csoapi.core.schemas import (
    AsString,
    Id,
    Input,
    Name,
    Output,
    ShortText,
    Text,
    Timestamp,
    Token,
    Words,
)
from csoapi.core.values import Beat, Plate, PlateState, VehicleWord, Vin
from csoapi.permits.schemas import PortalPermit
from csoapi.violations.schemas import ViolationCode


class CitationStatus(StrEnum):
    open = "open"
    overdue = "overdue"
    paid = "paid"
    contested = "contested"
    void = "void"
    dismissed = "dismissed"
    collections = "collections"
    warning = "warning"


class Vehicle(Input):
    make: VehicleWord | None = None
    body: VehicleWord | None = None
    color: VehicleWord | None = None


class CitationLocation(Input):
    address: Name
    beat: Beat | None = None


PermitZoneCode = Token(r"^[A-Za-z0-9_\-]+$", max_length=16, case="upper")


class PermitOverride(Input):
    """Cite despite a valid permit (a permit displayed for another vehicle, say)."""

    reason: ShortText


class CitationCreate(Input):
    kind: Literal["citation", "warning"] = "citation"
    plate: Plate
    plate_state: PlateState
    vin: Vin | None = None
    vehicle: Vehicle | None = None
    location: CitationLocation
    violation_code: ViolationCode
    issued_at: Timestamp | None = Field(
        default=None, description="Defaults to now; not in the future"
    )
    call_id: Id | None = None
    notes: Text | None = Field(default=None, description="Officer-only; never shown to portals")
    permit_zone: PermitZoneCode | None = Field(
        default=None,
        description="The permit zone the vehicle is parked in: a vehicle a valid permit covers "
        "there at `issued_at` is refused (409 `permit_valid`) unless `permit_override` is given",
    )
    permit_override: PermitOverride | None = None


class VoidBody(Input):
    reason: ShortText


class BalanceLine(Output):
    kind: str
    amount_cents: int
    on: date
    rule: str | None = None


class Adjudication(Output):
    outcome: str
    decided_at: datetime
    reason: str | None
    reduced_to_cents: int | None


class VehicleRead(Output):
    make: str | None
    body: str | None
    color: str | None


class CitationRead(Output):
    """The officer and records view."""

    id: uuid.UUID
    number: str
    kind: str
    status: CitationStatus
    plate: str
    plate_state: str
    vin: str | None
    vehicle: VehicleRead
    location: str
    beat: str | None
    violation_code: str
    violation_description: str
    issued_at: datetime
    issued_by: uuid.UUID | None
    call_id: uuid.UUID | None
    notes: str | None
    permit_zone: str | None
    permit_override_reason: str | None
    fine_cents: int
    penalties_cents: int
    reductions_cents: int
    paid_cents: int
    balance_cents: int
    due_date: date | None
    balance_lines: list[BalanceLine]
    contest_reason: str | None
    adjudication: Adjudication | None
    void_reason: str | None
    voided_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class CitationSummary(Output):
    id: uuid.UUID
    number: str
    kind: str
    status: CitationStatus
    plate: str
    plate_state: str
    violation_code: str
    issued_at: datetime
    issued_by: uuid.UUID | None
    fine_cents: int
    paid_cents: int
    due_date: date | None
    version: int


class PortalCitation(Output):
    """Exactly what a payment portal sees: no notes, no officer, no VIN."""

    id: uuid.UUID
    number: str
    issued_at: datetime
    violation_code: str
    violation_description: str
    location: str
    plate: str
    plate_state: str
    fine_cents: int
    penalties_cents: int
    paid_cents: int
    balance_cents: int
    due_date: date | None
    status: CitationStatus


class PaymentMethod(StrEnum):
    card = "card"
    cash = "cash"
    check = "check"
    ach = "ach"
    money_order = "money_order"
    other = "other"


# Printable ASCII, inner spaces allowed, none at either end.
Reference = Token(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$", max_length=128)


class PaymentCreate(Input):
    amount_cents: int = Field(ge=1, le=100_000_000)
    method: Annotated[PaymentMethod, AsString]
    reference: Reference | None = Field(
        default=None, description="The portal's or cashier's reference"
    )
    paid_at: Timestamp | None = Field(
        default=None,
        description="When the payer says it paid (defaults to now; not in the future, not "
        "before the citation was issued: 422 `paid_before_issue`). Kept for reconciliation: "
        "the payment counts from its posting, so it takes back no penalty accrued by then",
    )


class ReverseBody(Input):
    reason: ShortText


class PaymentRead(Output):
    """A payment or reversal: of a citation (``citation_id``) or of a permit's renewal
    (``permit_id``), never both."""

    id: uuid.UUID
    citation_id: uuid.UUID | None
    permit_id: uuid.UUID | None
    kind: str
    amount_cents: int
    method: str
    reference: str | None
    paid_at: datetime
    posted_at: datetime
    posted_by: str
    reverses_id: uuid.UUID | None
    reason: str | None


class PaymentPosted(PaymentRead):
    """A payment as its posting answers it: with the citation's balance after it."""

    balance_cents: int = Field(
        description="What is still owed on the citation after this payment, as of its "
        "posting (0: paid in full). A replay of the request answers the balance of the "
        "first answer; GET the citation for the balance now."
    )


class PaymentTotals(BaseModel):
    payments: int
    payments_cents: int
    reversals: int
    reversals_cents: int
    net_cents: int


class PaymentPage(BaseModel):
    items: list[PaymentRead]
    next_cursor: str | None
    totals: PaymentTotals


class PortalLookup(BaseModel):
    items: list[PortalCitation]


class ContestBody(Input):
    reason: Words(2000)  # as long as the citation's column


class AdjudicateBody(Input):
    outcome: Literal["upheld", "dismissed", "reduced"]
    reason: ShortText
    reduced_to_cents: int | None = Field(
        default=None, ge=0, le=100_000_000, description="Required for reduced: the new fine"
    )
    reset_clock: StrictBool = Field(
        default=True, description="Upheld: penalties count again from the decision day"
    )


class VehicleCitation(Output):
    id: uuid.UUID
    number: str
    status: CitationStatus
    violation_code: str
    issued_at: datetime
    due_date: date | None
    balance_cents: int


class VehicleRecord(BaseModel):
    plate: str
    plate_state: str
    open_citations: list[VehicleCitation]
    total_balance_cents: int
    overdue_count: int
    tow_eligible: bool = Field(description="Unpaid overdue citations ≥ the agency's threshold")


class Scofflaw(BaseModel):
    plate: str
    plate_state: str
    overdue_count: int


class ScofflawList(BaseModel):
    threshold: int
    items: list[Scofflaw]


class RenewalRead(Output):
    """A permit renewal paid: the payment posted and the permit as it now stands."""

    payment: PaymentRead
    permit: PortalPermit
