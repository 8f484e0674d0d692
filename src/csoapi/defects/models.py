"""Defect reports (a broken meter, a sign down, a dark signal) and their photos. A report
is forwarded to the city's 311 system by the worker: ``forwarding`` says how far that got
(``pending`` → ``forwarded``, or ``failed`` after the last try), ``status`` and
``status_notes`` are what 311 says of it since."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column


class Defect(Versioned, table=True):
    __tablename__ = "defect"
    __table_args__ = (
        sa.Index("ix_defect_created_at_id", "created_at", "id"),
        sa.Index("ix_defect_forwarding_next_attempt_at", "forwarding", "next_attempt_at"),
    )

    id: uuid.UUID = id_field()
    kind: str = Field(max_length=32)
    address: str | None = Field(default=None, max_length=200)
    lat: float | None = None
    lon: float | None = None
    description: str = Field(sa_type=sa.Text)
    call_id: uuid.UUID | None = Field(default=None, foreign_key="call.id", index=True)
    reported_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    forwarding: str = Field(default="pending", max_length=16)  # pending | forwarded | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = utc_column(nullable=True)
    lease_until: datetime | None = utc_column(nullable=True)
    lease_token: uuid.UUID | None = None
    last_error: str | None = Field(default=None, max_length=500)
    service_request_id: str | None = Field(default=None, max_length=128)
    open311_token: str | None = Field(default=None, max_length=128)
    forwarded_at: datetime | None = utc_column(nullable=True)
    status: str | None = Field(default=None, max_length=16)  # open | closed (311's)
    status_notes: str | None = Field(default=None, max_length=2000)
    polled_at: datetime | None = utc_column(nullable=True)
    closed_at: datetime | None = utc_column(nullable=True)


class DefectPhoto(SQLModel, table=True):
    """A photo as stored: re-encoded from its pixels, so no EXIF (place, camera, owner)."""

    __tablename__ = "defect_photo"

    id: uuid.UUID = id_field()
    defect_id: uuid.UUID = Field(foreign_key="defect.id", index=True)
    content_type: str = Field(max_length=32)
    width: int
    height: int
    size_bytes: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = created_field()
    uploaded_by: uuid.UUID | None = None
