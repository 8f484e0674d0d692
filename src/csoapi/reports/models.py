"""Reports (incident, crime, collision, activity) with their people, vehicles, supplements
and victim follow-up contacts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column


class Report(Versioned, table=True):
    __tablename__ = "report"
    __table_args__ = (
        sa.Index("ix_report_status_submitted_at", "status", "submitted_at"),
        sa.Index("ix_report_author_id_status", "author_id", "status"),
        sa.Index("ix_report_approved_at_id", "approved_at", "id"),
        sa.Index("ix_report_created_at_id", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    number: str | None = Field(default=None, max_length=32, unique=True)
    kind: str = Field(max_length=16)  # incident | crime | collision | activity
    status: str = Field(max_length=16)  # draft | submitted | returned | approved | processed
    author_id: uuid.UUID = Field(foreign_key="user_account.id")
    call_id: uuid.UUID | None = Field(default=None, foreign_key="call.id", index=True)
    offense_code: str | None = Field(default=None, max_length=32, foreign_key="offense.code")
    hit_and_run: bool = Field(default=False)
    narrative: str = Field(default="", sa_type=sa.Text)
    occurred_from: datetime | None = utc_column(nullable=True)
    occurred_to: datetime | None = utc_column(nullable=True)
    address: str | None = Field(default=None, max_length=200)
    beat: str | None = Field(default=None, max_length=16)
    submitted_at: datetime | None = utc_column(nullable=True)
    reviewed_by: uuid.UUID | None = None
    returned_at: datetime | None = utc_column(nullable=True)
    return_reason: str | None = Field(default=None, max_length=2000)
    approved_at: datetime | None = utc_column(nullable=True)
    processed_at: datetime | None = utc_column(nullable=True)
    processed_by: uuid.UUID | None = None


class ReportPerson(SQLModel, table=True):
    __tablename__ = "report_person"

    id: uuid.UUID = id_field()
    report_id: uuid.UUID = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    position: int
    role: str = Field(max_length=24)  # victim, witness, reporting_party, suspect, driver, owner
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    juvenile: bool = Field(default=False)


class ReportVehicle(SQLModel, table=True):
    __tablename__ = "report_vehicle"

    id: uuid.UUID = id_field()
    report_id: uuid.UUID = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    position: int
    role: str = Field(max_length=24)  # EIDO vehicle roles: Involved, Striking, Struck, Parked, ...
    plate: str | None = Field(default=None, max_length=16)
    plate_state: str | None = Field(default=None, max_length=2)
    vin: str | None = Field(default=None, max_length=17)
    make: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=32)
    color: str | None = Field(default=None, max_length=32)
    insurance: str | None = Field(default=None, max_length=200)
    driver_index: int | None = None  # position of the driver among the persons


class ReportSupplement(SQLModel, table=True):
    __tablename__ = "report_supplement"

    id: uuid.UUID = id_field()
    report_id: uuid.UUID = Field(foreign_key="report.id", index=True)
    author_id: uuid.UUID = Field(foreign_key="user_account.id")
    narrative: str = Field(sa_type=sa.Text)
    created_at: datetime = created_field()


class ReportContact(SQLModel, table=True):
    __tablename__ = "report_contact"

    id: uuid.UUID = id_field()
    report_id: uuid.UUID = Field(foreign_key="report.id", index=True)
    by_id: uuid.UUID = Field(foreign_key="user_account.id")
    method: str = Field(max_length=16)  # phone, email, letter, in_person
    at: datetime = utc_column()
    summary: str = Field(sa_type=sa.Text)
    created_at: datetime = created_field()
