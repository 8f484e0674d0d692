"""Holds: one table for every kind of record a hold can keep where it is (an impound, an
evidence item), named by ``(subject_kind, subject_id)``. A hold is active until released;
it is never deleted, so the record of who held what, on which basis, and who let it go
stays whole."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from csoapi.core.models import Versioned, id_field, utc_column


class Hold(Versioned, table=True):
    __tablename__ = "hold"
    __table_args__ = (
        sa.Index("ix_hold_subject_kind_subject_id", "subject_kind", "subject_id"),
        sa.Index("ix_hold_subject_kind_review_due_id", "subject_kind", "review_due", "id"),
        sa.CheckConstraint(
            "type IN ('investigative', 'evidence', 'administrative', 'court')", name="type_known"
        ),
        sa.CheckConstraint(
            "(released_at IS NULL) = (released_by IS NULL)", name="released_with_releaser"
        ),
    )

    id: uuid.UUID = id_field()
    subject_kind: str = Field(max_length=16)  # impound | evidence
    subject_id: uuid.UUID
    type: str = Field(max_length=16)
    basis: str = Field(max_length=200)  # the legal basis: code section, warrant, order
    reason: str = Field(max_length=2000)
    placed_by: uuid.UUID
    placed_by_name: str = Field(max_length=200)
    placed_at: datetime = utc_column()
    review_due: datetime = utc_column()
    reviewed_by: uuid.UUID | None = None
    reviewed_at: datetime | None = utc_column(nullable=True)
    review_note: str | None = Field(default=None, max_length=2000)
    released_by: uuid.UUID | None = None
    released_by_name: str | None = Field(default=None, max_length=200)
    released_at: datetime | None = utc_column(nullable=True)
    release_reason: str | None = Field(default=None, max_length=2000)

    @property
    def active(self) -> bool:
        return self.released_at is None
