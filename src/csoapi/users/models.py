"""People who sign in: CSOs, sergeants, records staff, administrators."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

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
