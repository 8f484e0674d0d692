"""Citations (with the snapshot of their violation's money) and their payments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column


class Citation(Versioned, table=True):
    __tablename__ = "citation"
    __table_args__ = (
        sa.Index("ix_citation_plate_state_plate", "plate_state", "plate"),
        sa.Index("ix_citation_issued_at_id", "issued_at", "id"),
        sa.Index("ix_citation_state_due_date", "state", "due_date"),
        sa.Index("ix_citation_issued_by_issued_at", "issued_by", "issued_at"),
        sa.CheckConstraint("paid_cents >= 0", name="paid_not_negative"),
    )

    id: uuid.UUID = id_field()
    number: str = Field(max_length=32, unique=True)
    external_id: str | None = Field(default=None, max_length=32, unique=True)  # imported ticket no.
    kind: str = Field(max_length=16)  # citation | warning
    plate: str = Field(max_length=16)
    plate_state: str = Field(max_length=2)
    vin: str | None = Field(default=None, max_length=17)
    vehicle_make: str | None = Field(default=None, max_length=32)
    vehicle_body: str | None = Field(default=None, max_length=32)
    vehicle_color: str | None = Field(default=None, max_length=32)
    location: str = Field(max_length=200)
    beat: str | None = Field(default=None, max_length=16)
    violation_id: uuid.UUID = Field(foreign_key="violation.id")
    violation_code: str = Field(max_length=16)
    violation_description: str = Field(max_length=200)
    fine_cents: int  # snapshot
    penalty_tiers: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)  # snapshot
    issued_at: datetime = utc_column()
    issued_on: date  # agency-local day of issue: "days" count from here
    due_date: date | None = None  # None while a contest holds it
    issued_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    call_id: uuid.UUID | None = Field(default=None, foreign_key="call.id", index=True)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    # Issued in a permit zone (the permits feature checked the plate there and then), and
    # the officer's reason when a valid permit was overridden.
    permit_zone: str | None = Field(default=None, max_length=16)
    permit_override_reason: str | None = Field(default=None, max_length=500)
    # open | paid | contested | void | dismissed | collections ("overdue" is derived)
    state: str = Field(max_length=16)
    paid_cents: int = Field(default=0)
    void_reason: str | None = Field(default=None, max_length=500)
    voided_by: uuid.UUID | None = None
    voided_at: datetime | None = utc_column(nullable=True)
    contested_on: date | None = None
    contest_reason: str | None = Field(default=None, max_length=2000)
    pauses: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    adjudication: str | None = Field(default=None, max_length=16)  # upheld|dismissed|reduced
    adjudicated_at: datetime | None = utc_column(nullable=True)
    adjudicated_by: uuid.UUID | None = None
    adjudication_reason: str | None = Field(default=None, max_length=2000)
    reduced_to_cents: int | None = None
    clock_from: date | None = None
    collections_at: datetime | None = utc_column(nullable=True)


class Payment(SQLModel, table=True):
    """Immutable. A reversal is a row of its own that names the payment it reverses. A
    payment is for one thing: a citation, or a parking permit's renewal."""

    __tablename__ = "payment"
    __table_args__ = (
        sa.Index("ix_payment_posted_at_id", "posted_at", "id"),
        sa.Index("ix_payment_client_id_posted_at", "client_id", "posted_at"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("(citation_id IS NULL) <> (permit_id IS NULL)", name="one_target"),
    )

    id: uuid.UUID = id_field()
    citation_id: uuid.UUID | None = Field(default=None, foreign_key="citation.id", index=True)
    permit_id: uuid.UUID | None = Field(default=None, foreign_key="permit.id", index=True)
    kind: str = Field(max_length=16)  # payment | reversal
    amount_cents: int
    method: str = Field(max_length=16)
    reference: str | None = Field(default=None, max_length=128)
    paid_at: datetime = utc_column()
    paid_on: date
    posted_at: datetime = created_field()
    posted_by: str = Field(max_length=80)
    user_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    reverses_id: uuid.UUID | None = Field(default=None, foreign_key="payment.id", unique=True)
    reason: str | None = Field(default=None, max_length=500)
