"""People who sign in: CSOs, sergeants, records staff, administrators; and the duty shifts
of the dispatchable ones."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, id_field, utc_column


class User(Versioned, table=True):
    __tablename__ = "user_account"

    id: uuid.UUID = id_field()
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=200)
    badge_number: str | None = Field(default=None, max_length=32)
    role: str = Field(max_length=16, index=True)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    first_failed_at: datetime | None = utc_column(nullable=True)
    locked_until: datetime | None = utc_column(nullable=True)


class DutyShift(SQLModel, table=True):
    """A stretch of duty of one CSO or sergeant: from signing on (``started_at``) to signing
    off (``ended_at``, empty while on duty). At most one open shift a person (a partial
    unique index); the audit trail says who signed whom on and off."""

    __tablename__ = "duty_shift"
    __table_args__ = (
        sa.Index(
            "uq_duty_shift_open",
            "user_id",
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
        sa.Index("ix_duty_shift_user_id_started_at", "user_id", "started_at"),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(foreign_key="user_account.id")
    started_at: datetime = utc_column()
    ended_at: datetime | None = utc_column(nullable=True)
