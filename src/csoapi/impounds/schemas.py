"""Impounds as they are requested, stored, noticed, heard, valued, paid, released and
disposed of (contract section 6), and as they are read."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from csoapi.citations.schemas import PaymentCreate, ReverseBody
from csoapi.core.schemas import AsString, Id, Input, Name, Output, ShortText, Text, Timestamp, Words
from csoapi.core.values import Plate, PlateState, VehicleWord, Vin
from csoapi.holds.schemas import Condition, HoldRead

__all__ = ["PaymentCreate", "ReverseBody"]


class ImpoundReason(StrEnum):
    PARKING = "PARKING"
    SCOFFLAW = "SCOFFLAW"
    ABANDONED = "ABANDONED"
    EVIDENCE = "EVIDENCE"
    COLLISION = "COLLISION"
    NO_REGISTRATION = "NO_REGISTRATION"
    OBSTRUCTION = "OBSTRUCTION"


class ImpoundStatus(StrEnum):
    requested = "requested"
    stored = "stored"
    released = "released"
    disposed = "disposed"


class VehicleIn(Input):
    plate: Plate | None = None
    plate_state: PlateState | None = None
    vin: Vin | None = None
    make: VehicleWord | None = None
    model: VehicleWord | None = None
    color: VehicleWord | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)


class InventoryItem(Input):
    item: Name
    quantity: int = Field(default=1, ge=1, le=10_000)
    location: Words(100) | None = Field(default=None, description="Where in the vehicle")
    notes: ShortText | None = None


class ImpoundCreate(Input):
    vehicle: VehicleIn
    reason: Annotated[ImpoundReason, AsString]
    authority: Words(64) = Field(description="The code section relied on, e.g. CVC 22651(i)")
    towed_from: Name
    tow_company: Words(100)
    storage_lot: Words(100)
    citation_id: Id | None = None
    call_id: Id | None = None
    odometer: int | None = Field(default=None, ge=0, le=10_000_000, description="Miles")
    inventory: list[InventoryItem] = Field(default_factory=list, max_length=200)
    notes: Text | None = None
    requested_at: Timestamp | None = Field(default=None, description="Defaults to now")
    towed_at: Timestamp | None = Field(
        default=None, description="Given: the vehicle is stored at once (a tow done in the field)"
    )


class StatusBody(Input):
    status: Literal["stored"]
    at: Timestamp | None = Field(default=None, description="When the tow took possession")


class ValuationBody(Input):
    value_cents: int = Field(ge=0, le=100_000_000)
    estimator: Name
    at: Timestamp | None = None


class StepName(StrEnum):
    doj_notified = "doj_notified"
    doj_reported = "doj_reported"
    dmv_record_requested = "dmv_record_requested"
    lien_notice_mailed = "lien_notice_mailed"
    lien_application_filed = "lien_application_filed"
    lien_authorized = "lien_authorized"


class StepBody(Input):
    step: Annotated[StepName, AsString]
    at: Timestamp | None = None
    note: ShortText | None = None


class NoticeCreate(Input):
    to: Literal["registered_owner", "legal_owner"]
    method: Literal["certified_mail", "first_class_mail", "personal_delivery"]
    addressee: Name | None = None
    mailed_at: Timestamp


class NoticeOutcome(Input):
    outcome: Literal["delivered", "returned"]
    at: Timestamp | None = None


class HearingRequest(Input):
    requested_at: Timestamp
    requested_by: Name


class HearingSchedule(Input):
    at: Timestamp


class HearingOutcome(Input):
    outcome: Literal["valid", "invalid"]
    reason: ShortText


class OwnerIn(Input):
    name: Name
    id_type: Words(32)
    id_number: Words(64)


class ReleaseBody(Input):
    owner: OwnerIn | None = None
    proof_of_ownership: Words(100) | None = Field(
        default=None, description="e.g. current registration, title"
    )
    released_to: Name | None = Field(default=None, description="Who drove or towed it away")


class DisposeBody(Input):
    route: Literal["auction", "dismantler"]
    at: Timestamp | None = None
    proceeds_cents: int = Field(ge=0, le=100_000_000)


# -- reads -----------------------------------------------------------------------------------
class VehicleRead(BaseModel):
    plate: str | None
    plate_state: str | None
    vin: str | None
    make: str | None
    model: str | None
    color: str | None
    year: int | None


class DeadlineRead(BaseModel):
    rule_id: str
    title: str
    citation: str
    kind: str
    due_at: datetime
    status: Literal["open", "met", "missed"]
    met_at: datetime | None
    why: str


class DisposalRead(BaseModel):
    rule_id: str
    citation: str
    eligible_at: datetime | None
    routes: list[str]
    why: str


class HearingRead(BaseModel):
    requested_at: datetime | None
    requested_by: str | None
    scheduled_at: datetime | None
    outcome: str | None
    reason: str | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None


class ImpoundRead(BaseModel):
    id: uuid.UUID
    number: str
    source: str
    external_id: str | None
    vehicle: VehicleRead
    reason: str
    authority: str
    towed_from: str
    tow_company: str
    storage_lot: str
    citation_id: uuid.UUID | None
    call_id: uuid.UUID | None
    odometer: int | None
    inventory: list[dict[str, Any]]
    notes: str | None
    requested_at: datetime
    requested_by: uuid.UUID | None
    towed_at: datetime | None
    status: ImpoundStatus
    jurisdiction: str
    value_cents: int | None
    value_band: str | None
    valued_at: datetime | None
    steps: list[dict[str, Any]]
    hearing: HearingRead | None
    deadlines: list[DeadlineRead]
    next_deadline_at: datetime | None
    disposal: DisposalRead | None
    holds: list[HoldRead]
    paid_cents: int
    released_at: datetime | None
    release: dict[str, Any] | None
    disposed_at: datetime | None
    disposal_route: str | None
    proceeds_cents: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class ImpoundSummary(BaseModel):
    id: uuid.UUID
    number: str
    plate: str | None
    plate_state: str | None
    reason: str
    status: ImpoundStatus
    storage_lot: str
    requested_at: datetime
    towed_at: datetime | None
    next_deadline_at: datetime | None
    version: int


class NoticeRead(Output):
    id: uuid.UUID
    impound_id: uuid.UUID
    to: str
    method: str
    addressee: str | None
    mailed_at: datetime
    document: dict[str, Any]
    sha256: str = Field(description="SHA-256 of the document's canonical JSON (sorted keys)")
    pdf_sha256: str = Field(description="SHA-256 of the notice's PDF (…/pdf)")
    outcome: str | None
    outcome_at: datetime | None


class FeeLine(BaseModel):
    code: Literal["tow", "storage", "admin", "lien_preparation"]
    description: str
    quantity: int
    unit_cents: int
    amount_cents: int
    waived: bool = False
    citation: str | None = None
    why: str | None = None


class FeeQuote(BaseModel):
    impound_id: uuid.UUID
    as_of: datetime
    lines: list[FeeLine]
    total_cents: int
    paid_cents: int
    balance_cents: int


class PortalImpound(BaseModel):
    """What the payment portal sees: where the vehicle is, what is due, what to bring."""

    id: uuid.UUID
    number: str
    plate: str | None
    plate_state: str | None
    storage_lot: str
    lot_address: str | None
    lot_hours: str | None
    fees_due_cents: int
    what_to_bring: list[str]


class PortalImpounds(BaseModel):
    items: list[PortalImpound]


class ImpoundPaymentRead(Output):
    id: uuid.UUID
    impound_id: uuid.UUID
    kind: str
    amount_cents: int
    method: str
    reference: str | None
    paid_at: datetime
    posted_at: datetime
    posted_by: str
    reverses_id: uuid.UUID | None
    reason: str | None


class QualifyingCitation(BaseModel):
    id: uuid.UUID
    number: str
    violation_code: str
    issued_at: datetime
    days_unanswered: int
    status: str
    balance_cents: int


class TowEligiblePlate(BaseModel):
    plate_state: str
    plate: str
    count: int
    balance_cents: int
    citations: list[QualifyingCitation]


class TowEligibleList(BaseModel):
    """A dry run: the plates the rule would allow towing, each with its citations."""

    enabled: bool
    rule_id: str | None = None
    citation: str | None = None
    min_citations: int | None = None
    unanswered_days: int | None = None
    items: list[TowEligiblePlate]


class ReleaseRefused(BaseModel):
    conditions: list[Condition]
