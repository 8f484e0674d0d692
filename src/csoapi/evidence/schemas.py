from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, StrictBool

from csoapi.core.schemas import Id, Input, Name, Output, ShortText, Timestamp, Token, Words
from csoapi.core.values import Phone

ItemKind = Literal["evidence", "found_property", "safekeeping"]
Category = Literal[
    "firearm",
    "drugs",
    "money",
    "jewelry",
    "biological",
    "electronics",
    "documents",
    "identification",
    "clothing",
    "bicycle",
    "tools",
    "vehicle_parts",
    "weapon_other",
    "other",
]
ItemStatus = Literal["in_custody", "checked_out", "released", "destroyed", "auctioned"]
Level = Literal["room", "shelf", "bin"]
Purpose = Literal["evidence", "property"]
LocationCode = Token(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64, case="upper")
Barcode = Token(r"^[A-Za-z0-9][A-Za-z0-9\-]*$", max_length=32, case="upper")
Action = Literal["transfer", "move", "check_out", "check_in", "lab_submit", "court"]
Reason = Words(2000)
LABEL_MEDIA = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


# -- locations ---------------------------------------------------------------------------
class LocationCreate(Input):
    code: LocationCode
    name: Name
    level: Level
    parent_id: Id | None = Field(
        default=None, description="The room of a shelf, the shelf of a bin; none for a room"
    )
    purpose: Purpose | None = Field(
        default=None,
        description="A room's: `evidence`, or `property` (found and safekeeping, stored apart). "
        "A shelf or bin takes its room's",
    )
    high_security: StrictBool = False


class LocationUpdate(Input):
    name: Name | None = None
    high_security: StrictBool | None = None
    active: StrictBool | None = None


class LocationRead(Output):
    id: uuid.UUID
    code: str
    name: str
    level: str
    purpose: str
    parent_id: uuid.UUID | None
    high_security: bool
    active: bool
    path: list[str] = Field(description="Codes from the room down to this location")
    version: int


# -- items -------------------------------------------------------------------------------
class Owner(Input):
    name: Name
    phone: Phone | None = None
    address: Name | None = None


class ItemCreate(Input):
    kind: ItemKind
    category: Category
    description: Words(2000)
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    collected_at: Timestamp
    found_at: Name | None = Field(default=None, description="Where it was found or collected")
    report_id: Id | None = None
    call_id: Id | None = None
    owner: Owner | None = Field(default=None, description="Found or safekeeping property only")
    estimated_value_cents: int | None = Field(default=None, ge=0, le=1_000_000_000)
    biological: StrictBool = Field(
        default=False, description="Contains biological material (PC 1417.9 retention)"
    )
    location_id: Id = Field(description="Where it is stored at intake")
    reason: ShortText | None = None


class ItemUpdate(Input):
    description: Words(2000) | None = None
    report_id: Id | None = None
    owner: Owner | None = None
    estimated_value_cents: int | None = Field(default=None, ge=0, le=1_000_000_000)


class OwnerRead(Output):
    name: str
    phone: str | None
    address: str | None


class ItemRead(Output):
    id: uuid.UUID
    barcode: str
    kind: str
    category: str
    high_risk: bool
    description: str
    quantity: int
    collected_at: datetime
    collected_by: uuid.UUID
    found_at: str | None
    report_id: uuid.UUID | None
    call_id: uuid.UUID | None
    owner: OwnerRead | None
    estimated_value_cents: int | None
    biological: bool
    status: str
    current_location: LocationRead | None
    current_holder: uuid.UUID | None
    current_party: str | None
    checked_out_at: datetime | None
    due_back_at: datetime | None
    review_date: date
    review_rule: str
    custody_events: int
    custody_head: str
    version: int
    created_at: datetime
    updated_at: datetime


class ItemSummary(Output):
    id: uuid.UUID
    barcode: str
    kind: str
    category: str
    description: str
    status: str
    current_location_id: uuid.UUID | None
    current_holder_id: uuid.UUID | None
    review_date: date
    due_back_at: datetime | None


# -- custody -----------------------------------------------------------------------------
class CustodyBody(Input):
    action: Action
    to_holder: Id | None = Field(default=None, description="A user: check_out, transfer")
    to_location: Id | None = Field(default=None, description="A location: check_in, move")
    to_party: Name | None = Field(default=None, description="A lab or court: lab_submit, court")
    reason: Reason
    at: Timestamp | None = Field(default=None, description="When it happened (default: now)")
    due_back_at: Timestamp | None = Field(
        default=None, description="check_out: when it is due back (default by setting)"
    )


class BulkCustodyBody(CustodyBody):
    barcodes: list[Barcode] = Field(min_length=1, max_length=500)


class CustodyRead(Output):
    id: uuid.UUID
    seq: int
    action: str
    at: datetime
    recorded_at: datetime
    actor_id: uuid.UUID
    from_holder_id: uuid.UUID | None
    to_holder_id: uuid.UUID | None
    from_location_id: uuid.UUID | None
    to_location_id: uuid.UUID | None
    to_party: str | None
    reason: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class BulkResult(Output):
    barcode: str
    id: uuid.UUID
    seq: int
    status: str


class BulkRead(Output):
    items: list[BulkResult]


class VerifyRead(Output):
    valid: bool
    events: int
    head: str | None = None
    broken_at: int | None = None
    why: str | None = None


# -- dispositions ------------------------------------------------------------------------
DispositionType = Literal["return_to_owner", "destroy", "auction"]
IdType = Literal["drivers_license", "state_id", "passport", "military_id", "other"]


class DispositionRequest(Input):
    type: DispositionType
    reason: Reason


class Receiver(Input):
    name: Name
    id_type: IdType
    id_number: Token(r"^[A-Za-z0-9][A-Za-z0-9 \-]*$", max_length=32)


class DispositionExecute(Input):
    receiver: Receiver | None = Field(default=None, description="return_to_owner: who took it")
    witness: Id | None = Field(default=None, description="destroy: the user who saw it done")
    second_person: Id | None = Field(
        default=None, description="High-risk items: the second person present (a user)"
    )
    proceeds_cents: int | None = Field(default=None, ge=0, le=1_000_000_000)
    at: Timestamp | None = None


class ReceiverRead(Output):
    name: str
    id_type: str
    id_number: str


class DispositionRead(Output):
    id: uuid.UUID
    item_id: uuid.UUID
    type: str
    status: str
    reason: str
    requested_by: uuid.UUID
    requested_at: datetime
    approved_by: uuid.UUID | None
    approved_at: datetime | None
    executed_by: uuid.UUID | None
    executed_at: datetime | None
    receiver: ReceiverRead | None
    witness_id: uuid.UUID | None
    second_person_id: uuid.UUID | None
    proceeds_cents: int | None
    version: int


class ThroughputRead(Output):
    from_: datetime = Field(alias="from")
    to: datetime
    intake: int
    dispositions: int
    disposition_to_intake: float | None
    definition: str


# -- the transparency log ----------------------------------------------------------------
class KeyRead(Output):
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="Base64 of the raw 32-byte public key")


class HeadRead(Output):
    tree_size: int
    root_hash: str
    timestamp: str
    signature: str = Field(
        description="Base64 Ed25519 over the RFC 8785 canonical JSON of "
        "{root_hash, timestamp, tree_size}"
    )


class InclusionRead(Output):
    leaf_index: int
    tree_size: int
    audit_path: list[str]
    head: HeadRead


class ConsistencyRead(Output):
    from_: int = Field(alias="from")
    to: int
    proof: list[str]
