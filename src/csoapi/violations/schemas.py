from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictBool, field_validator

from csoapi.core.schemas import Day, Input, Name, Output, Token, Words

ViolationCode = Token(r"^[A-Za-z0-9.+\-/]+$", max_length=16)
Ordinance = Words(64)
Cents = Annotated[int, Field(ge=0, le=100_000_000)]


class PenaltyTier(Input):
    after_days: int = Field(ge=1, le=3650, description="Days after issue when this penalty applies")
    amount_cents: Cents


class ViolationCreate(Input):
    code: ViolationCode
    description: Name
    ordinance: Ordinance | None = None
    fine_cents: Cents
    penalties: list[PenaltyTier] = Field(default_factory=list, max_length=10)
    effective_from: Day

    @field_validator("penalties")
    @classmethod
    def _distinct_days(cls, tiers: list[PenaltyTier]) -> list[PenaltyTier]:
        days = [t.after_days for t in tiers]
        if len(days) != len(set(days)):
            raise ValueError("penalty tiers must have distinct after_days")
        return sorted(tiers, key=lambda t: t.after_days)


class ViolationUpdate(Input):
    """What may change on a version. Money never does: schedule a new version instead."""

    description: Name | None = None
    ordinance: Ordinance | None = None
    active: StrictBool | None = None


class PenaltyTierRead(Output):
    after_days: int
    amount_cents: int


class ViolationRead(Output):
    id: uuid.UUID
    code: str
    description: str
    ordinance: str | None
    fine_cents: int
    penalties: list[PenaltyTierRead]
    effective_from: date
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
