"""The violation schedule: each code in versions, each version effective from a date.
A version's money (fine and penalty tiers) never changes: a new fine is a new version, and
citations keep the snapshot they were issued with."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from csoapi.core.models import Versioned, id_field


class Violation(Versioned, table=True):
    __tablename__ = "violation"
    __table_args__ = (
        sa.UniqueConstraint("code", "effective_from"),
        sa.CheckConstraint("fine_cents >= 0", name="fine_not_negative"),
    )

    id: uuid.UUID = id_field()
    code: str = Field(max_length=16, index=True)
    description: str = Field(max_length=200)
    ordinance: str | None = Field(default=None, max_length=64)
    fine_cents: int
    penalties: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    effective_from: date
    active: bool = Field(default=True)
