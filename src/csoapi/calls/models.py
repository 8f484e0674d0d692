"""Calls for service and their activity log (transitions, assignments, notes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, id_field, utc_column

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Call(Versioned, table=True):
    __tablename__ = "call"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_id"),
        sa.Index("ix_call_received_at_id", "received_at", "id"),
        sa.Index("ix_call_status_received_at", "status", "received_at"),
        sa.Index("ix_call_assigned_to_status", "assigned_to", "status"),
        sa.Index("ix_call_beat_received_at", "beat", "received_at"),
        sa.Index("ix_call_call_type_received_at", "call_type", "received_at"),
    )

    id: uuid.UUID = id_field()
    number: str = Field(max_length=32, unique=True)
    source: str = Field(max_length=16)
    external_id: str | None = Field(default=None, max_length=64)
    call_type: str = Field(max_length=32, foreign_key="call_type.code")
    priority: int
    address: str = Field(max_length=200)
    lat: float | None = None
    lon: float | None = None
    beat: str | None = Field(default=None, max_length=16)
    caller_name: str | None = Field(default=None, max_length=200)
    caller_phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, sa_type=sa.Text)
    received_at: datetime = utc_column()
    assigned_to: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    status: str = Field(max_length=16)
    dispatched_at: datetime | None = utc_column(nullable=True)
    en_route_at: datetime | None = utc_column(nullable=True)
    on_scene_at: datetime | None = utc_column(nullable=True)
    cleared_at: datetime | None = utc_column(nullable=True)
    cancelled_at: datetime | None = utc_column(nullable=True)
    escalated_at: datetime | None = utc_column(nullable=True)
    escalation_reason: str | None = Field(default=None, max_length=500)
    disposition: str | None = Field(default=None, max_length=32, foreign_key="disposition.code")
    created_by: str | None = Field(default=None, max_length=80)


class CallActivity(SQLModel, table=True):
    """Append-only log of what happened to a call, in order: the timeline's backbone."""

    __tablename__ = "call_activity"
    __table_args__ = (sa.Index("ix_call_activity_call_id_at", "call_id", "at"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BigIntPK, primary_key=True))
    call_id: uuid.UUID = Field(foreign_key="call.id", ondelete="CASCADE")
    kind: str = Field(max_length=24)  # created, status_changed, assigned, escalated, note, updated
    at: datetime = utc_column()
    actor_id: str | None = Field(default=None, max_length=36)
    actor_name: str | None = Field(default=None, max_length=64)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    assigned_to: uuid.UUID | None = None
    text: str | None = Field(default=None, sa_type=sa.Text)
    detail: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
