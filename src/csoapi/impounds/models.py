"""Impounds (the vehicle, why and by whose authority it was towed, where it is, what the
agency owes the law and the owner owes the lot), their owner notices and fee payments.
The rates a quote reads are snapshots taken at creation: a new rate never changes an
impound already on the lot."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column


class Impound(Versioned, table=True):
    __tablename__ = "impound"
    __table_args__ = (
        sa.Index("ix_impound_plate_state_plate", "plate_state", "plate"),
        sa.Index("ix_impound_requested_at_id", "requested_at", "id"),
        sa.Index("ix_impound_next_deadline_at_id", "next_deadline_at", "id"),
        sa.Index("ix_impound_status_storage_lot", "status", "storage_lot"),
        sa.CheckConstraint("paid_cents >= 0", name="paid_not_negative"),
        sa.CheckConstraint(
            "status IN ('requested', 'stored', 'released', 'disposed')", name="status_known"
        ),
    )

    id: uuid.UUID = id_field()
    number: str = Field(max_length=32, unique=True)
    source: str = Field(default="field", max_length=16)  # field | import
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    plate: str | None = Field(default=None, max_length=16)
    plate_state: str | None = Field(default=None, max_length=2)
    vin: str | None = Field(default=None, max_length=17)
    make: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=32)
    color: str | None = Field(default=None, max_length=32)
    vehicle_year: int | None = None
    reason: str = Field(max_length=24)
    authority: str = Field(max_length=64)  # the code section relied on
    towed_from: str = Field(max_length=200)
    tow_company: str = Field(max_length=100)
    storage_lot: str = Field(max_length=100)
    citation_id: uuid.UUID | None = Field(default=None, foreign_key="citation.id")
    call_id: uuid.UUID | None = Field(default=None, foreign_key="call.id", index=True)
    odometer: int | None = None
    inventory: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    requested_at: datetime = utc_column()
    requested_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    requested_by_name: str | None = Field(default=None, max_length=200)
    towed_at: datetime | None = utc_column(nullable=True)
    status: str = Field(max_length=16)
    jurisdiction: str = Field(max_length=16)  # the rule pack's
    # Rates, snapshots of the agency's at creation.
    tow_cents: int = 0
    daily_storage_cents: int = 0
    admin_fee_cents: int = 0
    lien_fee_cents: int = 0
    value_cents: int | None = None
    valued_at: datetime | None = utc_column(nullable=True)
    valued_by: str | None = Field(default=None, max_length=200)
    # Facts of the lien and reporting process: [{step, at, by, note}], in order recorded.
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    hearing_requested_at: datetime | None = utc_column(nullable=True)
    hearing_requested_by: str | None = Field(default=None, max_length=200)
    hearing_scheduled_at: datetime | None = utc_column(nullable=True)
    hearing_outcome: str | None = Field(default=None, max_length=16)  # valid | invalid
    hearing_reason: str | None = Field(default=None, max_length=2000)
    hearing_decided_by: uuid.UUID | None = None
    hearing_decided_at: datetime | None = utc_column(nullable=True)
    paid_cents: int = 0
    released_at: datetime | None = utc_column(nullable=True)
    released_by: uuid.UUID | None = None
    release: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    disposed_at: datetime | None = utc_column(nullable=True)
    disposed_by: uuid.UUID | None = None
    disposal_route: str | None = Field(default=None, max_length=16)
    proceeds_cents: int | None = None
    # The earliest agency deadline not met, while the vehicle is held (the worklist's key).
    next_deadline_at: datetime | None = utc_column(nullable=True)


class ImpoundNotice(SQLModel, table=True):
    """A notice of storage as mailed; its document and that document's SHA-256 never
    change. Only the outcome (delivered or returned) is recorded later, once."""

    __tablename__ = "impound_notice"

    id: uuid.UUID = id_field()
    impound_id: uuid.UUID = Field(foreign_key="impound.id", index=True)
    to: str = Field(max_length=16)  # registered_owner | legal_owner
    method: str = Field(max_length=24)
    addressee: str | None = Field(default=None, max_length=200)
    mailed_at: datetime = utc_column()
    document: dict[str, Any] = Field(sa_type=sa.JSON)
    sha256: str = Field(max_length=64)  # of the document's canonical JSON
    pdf_sha256: str = Field(max_length=64)  # of the PDF rendered from it (notice_pdf)
    outcome: str | None = Field(default=None, max_length=16)  # delivered | returned
    outcome_at: datetime | None = utc_column(nullable=True)
    created_at: datetime = created_field()
    created_by: uuid.UUID | None = None


class ImpoundPayment(SQLModel, table=True):
    """Immutable. A reversal is a row of its own that names the payment it reverses."""

    __tablename__ = "impound_payment"
    __table_args__ = (
        sa.Index("ix_impound_payment_posted_at_id", "posted_at", "id"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: uuid.UUID = id_field()
    impound_id: uuid.UUID = Field(foreign_key="impound.id", index=True)
    kind: str = Field(max_length=16)  # payment | reversal
    amount_cents: int
    method: str = Field(max_length=16)
    reference: str | None = Field(default=None, max_length=128)
    paid_at: datetime = utc_column()
    posted_at: datetime = created_field()
    posted_by: str = Field(max_length=80)
    user_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    reverses_id: uuid.UUID | None = Field(
        default=None, foreign_key="impound_payment.id", unique=True
    )
    reason: str | None = Field(default=None, max_length=500)
