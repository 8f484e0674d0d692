"""Outreach: community events and meetings (with partners, attendance, youth focus,
materials, follow-ups and the CSOs who ran them) and Neighborhood Watch groups (area,
liaison CSO, contacts, and a log of their meetings, one row per meeting so that the
statistics count them in SQL)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from csoapi.core.models import Versioned, created_field, id_field, utc_column


class OutreachEvent(Versioned, table=True):
    __tablename__ = "outreach_event"
    __table_args__ = (
        sa.Index("ix_outreach_event_starts_at_id", "starts_at", "id"),
        sa.CheckConstraint("attendance IS NULL OR attendance >= 0", name="attendance_not_negative"),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    id: uuid.UUID = id_field()
    # community_meeting | youth_event | school_visit | presentation | resource_fair | other
    kind: str = Field(max_length=32)
    title: str = Field(max_length=200)
    starts_at: datetime = utc_column()
    ends_at: datetime | None = utc_column(nullable=True)
    location: str = Field(max_length=200)
    partners: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    attendance: int | None = None
    youth_focus: bool = Field(default=False)
    materials: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # [{"task", "due_on", "done"}]: what was promised at the event, and whether it was done.
    follow_ups: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    staff: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # user ids (CSOs)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    status: str = Field(default="planned", max_length=16)  # planned | held | cancelled
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class WatchGroup(Versioned, table=True):
    __tablename__ = "watch_group"
    __table_args__ = (sa.Index("ix_watch_group_created_at_id", "created_at", "id"),)

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200, unique=True)
    area: str = Field(max_length=500)
    beat: str | None = Field(default=None, max_length=16)
    liaison_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    active: bool = Field(default=True)
    # Personal data (name, phone, email of each contact): shown only to the field's writers
    # (``field:write``), every read audited; never in an event or a listing.
    contacts: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class WatchMeeting(SQLModel, table=True):
    """One entry of a group's meeting log: immutable once written."""

    __tablename__ = "watch_meeting"
    __table_args__ = (
        sa.Index("ix_watch_meeting_group_id_held_at", "group_id", "held_at"),
        sa.Index("ix_watch_meeting_held_at", "held_at"),
        sa.CheckConstraint("attendance IS NULL OR attendance >= 0", name="attendance_not_negative"),
    )

    id: uuid.UUID = id_field()
    group_id: uuid.UUID = Field(foreign_key="watch_group.id")
    held_at: datetime = utc_column()
    location: str | None = Field(default=None, max_length=200)
    attendance: int | None = None
    summary: str = Field(sa_type=sa.Text)
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = created_field()
