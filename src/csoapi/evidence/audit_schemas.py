"""Property-room audits as they are opened, scanned, closed and read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from csoapi.core.schemas import Id, Input, Output
from csoapi.evidence.rules import audit_rates as rates
from csoapi.evidence.schemas import Barcode

HIGH_RISK_FLOOR = int(rates()["high_risk_min_percent"]["percent"])


class AuditCreate(Input):
    trigger: Literal["scheduled", "unannounced", "custodian_change"] = "scheduled"
    method: Literal["file_to_shelf", "shelf_to_file", "both"] = "both"
    location_id: Id | None = Field(
        default=None, description="Audit this room, shelf or bin (and below); none: everything"
    )
    high_risk_percent: int | None = Field(
        default=None,
        ge=HIGH_RISK_FLOOR,
        le=100,
        description=f"Sample of high-risk items: at least {HIGH_RISK_FLOOR} % "
        f"({rates()['high_risk_min_percent']['citation']})",
    )
    other_percent: int | None = Field(default=None, ge=0, le=100)


class Scan(Input):
    barcode: Barcode
    location_id: Id


class ScanBody(Input):
    scans: list[Scan] = Field(min_length=1, max_length=500)


class AuditLineRead(Output):
    barcode: str
    item_id: uuid.UUID | None
    high_risk: bool
    sampled: bool
    expected_location_id: uuid.UUID | None
    scanned_location_id: uuid.UUID | None
    scanned_at: datetime | None
    result: str


class AuditRead(Output):
    id: uuid.UUID
    status: str
    trigger: str
    method: str
    location_id: uuid.UUID | None
    high_risk_percent: int
    other_percent: int
    seed: str
    opened_by: uuid.UUID
    created_at: datetime
    closed_by: uuid.UUID | None
    closed_at: datetime | None
    lines: list[AuditLineRead]
    discrepancies: list[AuditLineRead]
    summary: dict[str, Any] | None
    summary_hash: str | None
    signature: str | None = Field(
        default=None,
        description="Base64 Ed25519 signature over the summary's RFC 8785 canonical JSON "
        "(key at /api/v1/evidence/log/key)",
    )
    version: int
