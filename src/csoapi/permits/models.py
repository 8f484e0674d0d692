"""Parking permits and the zones they are good in. A permit's validity is a run of whole
agency-local days, kept also as the UTC instants it starts and ends at (``starts_at``
inclusive, ``ends_at`` exclusive), worked out once at issue with the agency's time zone, so
that "is this plate covered here and now" is one range test on an index."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from csoapi.core.models import Versioned, id_field, utc_column


class PermitZone(Versioned, table=True):
    __tablename__ = "permit_zone"

    id: uuid.UUID = id_field()
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    active: bool = Field(default=True)


class Permit(Versioned, table=True):
    __tablename__ = "permit"
    __table_args__ = (
        sa.Index("ix_permit_plate_state_plate_zone", "plate_state", "plate", "zone"),
        sa.Index("ix_permit_created_at_id", "created_at", "id"),
        sa.CheckConstraint("fee_cents >= 0", name="fee_not_negative"),
        sa.CheckConstraint("valid_to >= valid_from", name="valid_days_in_order"),
    )

    id: uuid.UUID = id_field()
    number: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=40)
    zone: str = Field(max_length=16, foreign_key="permit_zone.code")
    plate: str = Field(max_length=16)
    plate_state: str = Field(max_length=2)
    # The holder: personal data, shown only to permits:write and audited when read.
    holder_name: str = Field(max_length=200)
    holder_address: str = Field(max_length=200)
    holder_phone: str | None = Field(default=None, max_length=32)
    valid_from: date
    valid_to: date  # inclusive: the permit is good through the end of this local day
    starts_at: datetime = utc_column()
    ends_at: datetime = utc_column()  # exclusive
    fee_cents: int
    fee_rule: str = Field(max_length=64)  # the fee schedule's version the fee came from
    state: str = Field(max_length=16)  # active | revoked ("expired" is derived)
    issued_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    revoked_at: datetime | None = utc_column(nullable=True)
    revoked_by: uuid.UUID | None = None
    revoke_reason: str | None = Field(default=None, max_length=500)
